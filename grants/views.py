"""Micro-grant pages (R19): the public awards with leverage, and the steps of each role on a call's page.

Public: awards, amounts, matched resources, leverage (matched ÷ awarded), people
served — no names of applying residents. Staff open, award, accept and close;
the panel scores; organisations and residents apply and report. Thin views: a
form, one service call, a message.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies
from councils.models import Community, User
from funding.selectors import fund_for
from needs.views import form_invalid
from organisations import policies as org_policies
from organisations.enums import MAY_APPLY_FOR_GRANTS
from yishi.errors import PermissionDenied
from yishi.views import attempt

from . import selectors, services
from .enums import ApplicationStatus, AwardStatus, CallStatus
from .forms import ApplyForm, AwardForm, CallForm, GrantReportForm, ScoreForm
from .models import GrantApplication, GrantAward, GrantCall, GrantScore

PAGE_SIZE = 30


def calls(request):
    qs = GrantCall.objects.select_related("community").order_by("-opened_at")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    staff_of = [c for c in policies.communities_in_scope(request.user)
                if policies.is_community_staff(request.user, c)]
    return render(request, "grants/calls.html", {"page": page, "staff_of": staff_of, "form": CallForm()})


def _my_organisations(user, call):
    return [o for o in org_policies.organisations_of(user).filter(communities=call.community)
            if o.status in MAY_APPLY_FOR_GRANTS]


def call_detail(request, pk):
    call = get_object_or_404(GrantCall.objects.select_related("community", "fund"), pk=pk)
    user = request.user
    staff = policies.is_community_staff(user, call.community)
    panel = services.on_panel(user, call.community)
    page = Paginator(selectors.public_awards(call), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"call": call, "page": page, "totals": selectors.call_totals(call), "staff": staff, "panel": panel}
    if user.is_authenticated and call.status == CallStatus.OPEN:
        context["apply_form"] = ApplyForm(organisations=_my_organisations(user, call))
        if panel:
            scored = set(GrantScore.objects.filter(application__call=call, reviewer=user)
                         .values_list("application_id", flat=True))
            context["applications"] = [a for a in selectors.applications_of(call)
                                       if a.status == ApplicationStatus.SUBMITTED]
            context["scored"] = scored
            context["score_form"], context["award_form"] = ScoreForm(), AwardForm()
        context["my_awards"] = [a for a in GrantAward.objects.filter(call=call, status=AwardStatus.AWARDED)
                                .select_related("application__organisation") if services.is_grantee(user, a)]
        context["report_form"] = GrantReportForm()
        if staff:
            context["reported"] = GrantAward.objects.filter(call=call, status=AwardStatus.REPORTED).select_related(
                "application")
    return render(request, "grants/call.html", context)


@login_required
@require_POST
def call_open(request):
    community = get_object_or_404(Community, slug=request.POST.get("community", ""))
    if not policies.is_community_staff(request.user, community):
        raise PermissionDenied(_("只有本社区的工作人员可以发布微创投。"))
    form = CallForm(request.POST)
    fund = fund_for(community)
    created = {}
    if form.is_valid():
        data = form.cleaned_data

        def run():
            if fund is None:
                from yishi.errors import DomainError

                raise DomainError(_("%(community)s今年还没有公服资金账户。") % {"community": community.name})
            created["call"] = services.grant_call_open(
                community=community, fund=fund, actor=request.user, title=data["title"], pool=data["pool"],
                cap=data["cap"], applications_close=data["applications_close"], ends_on=data["ends_on"])

        if attempt(request, run, success=_("微创投已发布，资金池已从公服资金预留。")):
            return redirect("grants:call", pk=created["call"].pk)
    else:
        form_invalid(request, form)
    return redirect("grants:calls")


@login_required
@require_POST
def apply(request, pk):
    call = get_object_or_404(GrantCall, pk=pk)
    form = ApplyForm(request.POST, organisations=_my_organisations(request.user, call))
    if form.is_valid():
        data = form.cleaned_data
        organisation = next((o for o in _my_organisations(request.user, call) if o.pk == data["organisation"]), None)
        names = data["neighbours"].split()
        neighbours = list(User.objects.filter(username__in=names)) if names else []
        attempt(request, lambda: services.grant_apply(
            call=call, actor=request.user, title=data["title"], plan=data["plan"], amount=data["amount"],
            matched={"cash": data["cash"], "volunteer": data["volunteer"], "in_kind": data["in_kind"]},
            organisation=organisation, residents=neighbours), success=_("申请已提交。"))
    else:
        form_invalid(request, form)
    return redirect("grants:call", pk=call.pk)


@login_required
@require_POST
def score(request, pk):
    application = get_object_or_404(GrantApplication.objects.select_related("call"), pk=pk)
    form = ScoreForm(request.POST)
    if form.is_valid():
        attempt(request, lambda: services.grant_score(application=application, reviewer=request.user,
                                                      score=form.cleaned_data["score"],
                                                      comment=form.cleaned_data["comment"]),
                success=_("已打分。"))
    else:
        form_invalid(request, form)
    return redirect("grants:call", pk=application.call_id)


@login_required
@require_POST
def award(request, pk):
    application = get_object_or_404(GrantApplication.objects.select_related("call__community"), pk=pk)
    if not policies.is_community_staff(request.user, application.call.community):
        raise PermissionDenied(_("只有本社区的工作人员可以确定资助。"))
    form = AwardForm(request.POST)
    if form.is_valid():
        attempt(request, lambda: services.grant_award(application=application, actor=request.user,
                                                      amount=form.cleaned_data["amount"]),
                success=_("已确定资助，首笔 70% 已拨付。"))
    else:
        form_invalid(request, form)
    return redirect("grants:call", pk=application.call_id)


@login_required
@require_POST
def report(request, pk):
    the_award = get_object_or_404(GrantAward, pk=pk)
    form = GrantReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        attempt(request, lambda: services.grant_report(award=the_award, actor=request.user,
                                                       people_served=data["people_served"], spent=data["spent"],
                                                       report=data["report"]),
                success=_("报告已提交，等待社区验收。"))
    else:
        form_invalid(request, form)
    return redirect("grants:call", pk=the_award.call_id)


@login_required
@require_POST
def accept(request, pk):
    the_award = get_object_or_404(GrantAward.objects.select_related("call__community"), pk=pk)
    if not policies.is_community_staff(request.user, the_award.call.community):
        raise PermissionDenied(_("只有本社区的工作人员可以验收报告。"))
    attempt(request, lambda: services.grant_report_accept(award=the_award, actor=request.user),
            success=_("报告已验收，尾款已按实际支出结算。"))
    return redirect("grants:call", pk=the_award.call_id)


@login_required
@require_POST
def close(request, pk):
    call = get_object_or_404(GrantCall.objects.select_related("community"), pk=pk)
    if not policies.is_community_staff(request.user, call.community):
        raise PermissionDenied(_("只有本社区的工作人员可以结束微创投。"))
    attempt(request, lambda: services.grant_call_close(call=call, actor=request.user),
            success=_("微创投已结束，未用完的资金已退回公服资金。"))
    return redirect("grants:call", pk=call.pk)
