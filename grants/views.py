"""Micro-grant pages (R19): the public awards with leverage, and the steps of each role on a call's page.

Public: awards, amounts, matched resources, leverage (matched ÷ awarded), people
served — no names of applying residents. Staff open, award, accept and close;
the panel scores; organisations and residents apply and report. Thin views: a
form, one service call, a message.
"""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies
from councils.models import Community
from funding.selectors import fund_for
from organisations import conflicts
from organisations import policies as org_policies
from organisations.enums import MAY_APPLY_FOR_GRANTS
from yishi.errors import DomainError
from yishi.views import attempt, require, submit

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


def _staff_only(request, community, reason):
    require(policies.is_community_staff(request.user, community), reason)


def call_detail(request, pk):
    call = get_object_or_404(GrantCall.objects.select_related("community", "fund"), pk=pk)
    user = request.user
    staff = policies.is_community_staff(user, call.community)
    panel = services.on_panel(user, call.community)
    page = Paginator(selectors.public_awards(call), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"call": call, "page": page, "totals": selectors.call_totals(call), "staff": staff, "panel": panel}
    if user.is_authenticated and call.status == CallStatus.OPEN:
        context["apply_form"] = ApplyForm(organisations=_my_organisations(user, call), community=call.community)
        if panel:
            scored = set(GrantScore.objects.filter(application__call=call, reviewer=user)
                         .values_list("application_id", flat=True))
            context["applications"] = conflicts.with_my_role(
                user, [a for a in selectors.applications_of(call) if a.status == ApplicationStatus.SUBMITTED],
                lambda a: a.organisation_id)
            context["scored"] = scored
            context["score_form"], context["award_form"] = ScoreForm(), AwardForm()
        context["my_awards"] = [a for a in GrantAward.objects.filter(call=call, status=AwardStatus.AWARDED)
                                .select_related("application__organisation") if services.is_grantee(user, a)]
        context["report_form"] = GrantReportForm()
        if staff:
            context["reported"] = conflicts.with_my_role(
                user, GrantAward.objects.filter(call=call, status=AwardStatus.REPORTED).select_related(
                    "application__organisation"), lambda a: a.application.organisation_id)
    return render(request, "grants/call.html", context)


@login_required
@require_POST
def call_open(request):
    community = get_object_or_404(Community, slug=request.POST.get("community", ""))
    _staff_only(request, community, _("只有本社区的工作人员可以发布微创投。"))
    fund = fund_for(community)
    created = {}

    def run(d):
        if fund is None:
            raise DomainError(_("%(community)s今年还没有公服资金账户。") % {"community": community.name})
        created["call"] = services.grant_call_open(
            community=community, fund=fund, actor=request.user, title=d["title"], pool=d["pool"], cap=d["cap"],
            applications_close=d["applications_close"], ends_on=d["ends_on"])

    if submit(request, CallForm(request.POST), run, success=_("微创投已发布，资金池已从公服资金预留。")):
        return redirect("grants:call", pk=created["call"].pk)
    return redirect("grants:calls")


@login_required
@require_POST
def apply(request, pk):
    call = get_object_or_404(GrantCall, pk=pk)
    mine = _my_organisations(request.user, call)

    def run(d):
        return services.grant_apply(
            call=call, actor=request.user, title=d["title"], plan=d["plan"], amount=d["amount"],
            matched={"cash": d["cash"], "volunteer": d["volunteer"], "in_kind": d["in_kind"]},
            organisation=next((o for o in mine if o.pk == d["organisation"]), None),
            residents=d["neighbours"])

    submit(request, ApplyForm(request.POST, organisations=mine, community=call.community), run,
           success=_("申请已提交。"))
    return redirect("grants:call", pk=call.pk)


@login_required
@require_POST
def score(request, pk):
    application = get_object_or_404(GrantApplication.objects.select_related("call"), pk=pk)
    submit(request, ScoreForm(request.POST), lambda d: services.grant_score(
        application=application, reviewer=request.user, score=d["score"], comment=d["comment"]),
        success=_("已打分。"))
    return redirect("grants:call", pk=application.call_id)


@login_required
@require_POST
def award(request, pk):
    application = get_object_or_404(GrantApplication.objects.select_related("call__community"), pk=pk)
    _staff_only(request, application.call.community, _("只有本社区的工作人员可以确定资助。"))
    submit(request, AwardForm(request.POST), lambda d: services.grant_award(
        application=application, actor=request.user, amount=d["amount"]),
        success=_("已确定资助，首笔 70% 已拨付。"))
    return redirect("grants:call", pk=application.call_id)


@login_required
@require_POST
def report(request, pk):
    the_award = get_object_or_404(GrantAward, pk=pk)
    submit(request, GrantReportForm(request.POST), lambda d: services.grant_report(
        award=the_award, actor=request.user, people_served=d["people_served"], spent=d["spent"],
        report=d["report"]), success=_("报告已提交，等待社区验收。"))
    return redirect("grants:call", pk=the_award.call_id)


@login_required
@require_POST
def accept(request, pk):
    the_award = get_object_or_404(GrantAward.objects.select_related("call__community"), pk=pk)
    _staff_only(request, the_award.call.community, _("只有本社区的工作人员可以验收报告。"))
    attempt(request, partial(services.grant_report_accept, award=the_award, actor=request.user),
            success=_("报告已验收，尾款已按实际支出结算。"))
    return redirect("grants:call", pk=the_award.call_id)


@login_required
@require_POST
def close(request, pk):
    call = get_object_or_404(GrantCall.objects.select_related("community"), pk=pk)
    _staff_only(request, call.community, _("只有本社区的工作人员可以结束微创投。"))
    attempt(request, partial(services.grant_call_close, call=call, actor=request.user),
            success=_("微创投已结束，未用完的资金已退回公服资金。"))
    return redirect("grants:call", pk=call.pk)
