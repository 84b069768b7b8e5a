"""Pages of the needs ledger and the project list (R16, R17): thin views over ``needs.services``.

Public pages never show who raised a need. Staff pages are scoped to the
communities where the user holds a staff post (404 elsewhere); an action the
user may not take answers 403 with the reason.
"""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies
from councils.models import Community
from organisations import conflicts
from organisations import policies as org_policies
from organisations.enums import MAY_CLAIM
from photos.services import first_photo, with_photo
from yishi.errors import PermissionDenied
from yishi.views import attempt, form_invalid, require, submit  # noqa: F401 — form_invalid re-exported

from . import selectors, services
from .enums import NeedStatus, ProjectStatus
from .forms import (
    AnswerForm,
    ClaimForm,
    LedgerFilterForm,
    NeedForm,
    ProjectFilterForm,
    ProjectForm,
    RecordNeedForm,
    ReportForm,
    ServiceForm,
    StarsForm,
)
from .models import Claim, Need, NeedSupport, ServiceProject, ServiceRating, ServiceRecord

PAGE_SIZE = 20


def _community_from(request, param="community"):
    """The community named by ``?community=slug``, else the user's own, else the first one."""
    slug = request.GET.get(param) or request.POST.get(param)
    if slug:
        return get_object_or_404(Community, slug=slug)
    residency = policies.current_residency(request.user)
    if residency is not None:
        return residency.group.community
    return Community.objects.order_by("pk").first()


def _staff_community(request):
    community = _community_from(request)
    if community is None or not policies.is_community_staff(request.user, community):
        scoped = [c for c in policies.communities_in_scope(request.user) if policies.is_community_staff(request.user, c)]
        if not scoped:
            raise PermissionDenied(_("这个页面只对社区工作人员开放。"))
        if request.GET.get("community") or request.POST.get("community"):
            raise Http404
        community = scoped[0]
    return community


# --------------------------------------------------------------------------- public


def ledger(request):
    """需求台账 (public): text, category, support count and the answer — never who raised it."""
    community = _community_from(request)
    if community is None:
        raise Http404
    form = LedgerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.needs_ledger(
        community, category=filters.get("category"), status=filters.get("status"), viewer=request.user
    ).annotate(photo_id=first_photo("need"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    residency = policies.current_residency(request.user)
    can_support = residency is not None and residency.group.community_id == community.pk
    return render(request, "needs/ledger.html", {
        "community": community, "form": form, "page": page, "can_support": can_support,
        "communities": Community.objects.order_by("name"),
    })


@login_required
@require_POST
def support(request, pk):
    """我也需要 — an htmx button that swaps itself for the count."""
    need = get_object_or_404(Need.objects.select_related("community"), pk=pk)
    ok = attempt(request, lambda: services.need_support(need=need, resident=request.user),
                 success=_("已记下：您也需要。"))
    if request.htmx:
        need.support_count = NeedSupport.objects.filter(need=need).count()
        need.supported = ok or NeedSupport.objects.filter(need=need, resident=request.user).exists()
        return render(request, "needs/ledger.html#support", {"need": need, "can_support": True})
    return redirect(reverse("needs:ledger") + f"?community={need.community.slug}")


@login_required
def raise_need(request):
    """Three taps: a category, a few words, send."""
    residency = policies.current_residency(request.user)
    if residency is None:
        raise PermissionDenied(_("核实为本社区居民后才能提出需求。请联系社区工作人员。"))
    community = residency.group.community
    form = NeedForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if attempt(request, lambda: with_photo(form.cleaned_data.get("photo"), request.user, lambda: services.need_raise(
                community=community, text=form.cleaned_data["text"], category=form.cleaned_data["category"],
                actor=request.user)), success=_("需求已提交，社区会在规定时间内回应。"), form=form):
            return redirect("needs:mine")
    return render(request, "needs/raise.html", {"form": form, "community": community})


@login_required
def mine(request):
    """The needs I raised or supported, what became of them, and the projects I may rate."""
    qs = selectors.needs_of_resident(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rated = set(ServiceRating.objects.filter(resident=request.user).values_list("project_id", flat=True))
    return render(request, "needs/mine.html", {"page": page, "rated": rated, "stars_form": StarsForm()})


@login_required
@require_POST
def rate(request, pk):
    project = get_object_or_404(ServiceProject, pk=pk)
    submit(request, StarsForm(request.POST), lambda d: services.service_rate(
        project=project, resident=request.user, stars=d["stars"]), success=_("谢谢您的评价。"))
    return redirect("needs:mine")


def projects(request):
    """项目清单 (public): who claimed what and how many people were served."""
    community = _community_from(request)
    if community is None:
        raise Http404
    form = ProjectFilterForm(request.GET or None)
    status = form.cleaned_data.get("status") if form.is_valid() else None
    page = Paginator(selectors.projects_of(community, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    claimed = selectors.claims_with_organisations(list(page.object_list))
    for p in page.object_list:
        p.claimed_by = claimed.get(p.pk)
    return render(request, "needs/projects.html", {
        "community": community, "page": page, "form": form, "communities": Community.objects.order_by("name"),
    })


def project_detail(request, pk):
    project = get_object_or_404(ServiceProject.objects.select_related("community"), pk=pk)
    user = request.user
    staff = policies.is_community_staff(user, project.community)
    confirmed = selectors.confirmed_claim(project)
    my_orgs = [o for o in org_policies.organisations_of(user) if o.status in MAY_CLAIM]
    member_of_confirmed = confirmed is not None and org_policies.is_member(user, confirmed.organisation)
    records = ServiceRecord.objects.filter(project=project).order_by("-served_on", "-pk")
    totals = records.aggregate(people=Sum("people_served"), hours=Sum("hours"), volunteers=Sum("volunteers"))
    context = {
        "project": project,
        "needs": Need.objects.filter(project=project).annotate(support_count=Count("supports")).order_by("pk"),
        "claims": conflicts.with_my_role(
            user, Claim.objects.filter(project=project).select_related("organisation").order_by("claimed_at"),
            lambda c: c.organisation_id),
        "confirmed": confirmed,
        "records": Paginator(records, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": totals,
        "staff": staff,
        "can_claim": project.status == ProjectStatus.LISTED and bool(my_orgs),
        "can_serve": member_of_confirmed and project.status in (ProjectStatus.CLAIMED, ProjectStatus.IN_SERVICE),
        "can_complete": member_of_confirmed and project.status == ProjectStatus.IN_SERVICE,
        "claim_form": ClaimForm(organisations=my_orgs),
        "service_form": ServiceForm(),
        "report_form": ReportForm(),
        "rating": ServiceRating.objects.filter(project=project).aggregate(n=Count("pk"), s=Sum("stars")),
    }
    return render(request, "needs/project.html", context)


def _back(project):
    return redirect("needs:project", pk=project.pk)


@login_required
@require_POST
def claim(request, pk):
    project = get_object_or_404(ServiceProject, pk=pk)
    organisations = list(org_policies.organisations_of(request.user))
    require(bool(organisations), _("只有社会组织的成员可以认领项目。"))
    submit(request, ClaimForm(request.POST, organisations=organisations), lambda d: services.project_claim(
        project=project, organisation=next(o for o in organisations if o.pk == d["organisation"]),
        actor=request.user, plan=d["plan"]), success=_("已提交认领，等待社区确认。"))
    return _back(project)


@login_required
@require_POST
def confirm(request, pk):
    the_claim = get_object_or_404(Claim.objects.select_related("project__community", "organisation"), pk=pk)
    require(policies.is_community_staff(request.user, the_claim.project.community),
            _("只有本社区的工作人员可以确认认领。"))
    attempt(request, partial(services.claim_confirm, claim=the_claim, actor=request.user),
            success=_("已确认由%(org)s认领。") % {"org": the_claim.organisation.name})
    return _back(the_claim.project)


@login_required
@require_POST
def record_service(request, pk):
    project = get_object_or_404(ServiceProject, pk=pk)
    submit(request, ServiceForm(request.POST), lambda d: services.service_record(
        project=project, actor=request.user, served_on=d["served_on"], people_served=d["people_served"],
        hours=d["hours"], notes=d["notes"], volunteers=d["volunteers"]), success=_("服务已记录。"))
    return _back(project)


@login_required
@require_POST
def complete(request, pk):
    project = get_object_or_404(ServiceProject, pk=pk)
    submit(request, ReportForm(request.POST), lambda d: services.project_complete(
        project=project, actor=request.user, report=d["report"]), success=_("项目已完成，居民可以评价了。"))
    return _back(project)


# --------------------------------------------------------------------------- community staff


def _staff_context(request, community, *, record_form=None, project_form=None):
    form = LedgerFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    qs = selectors.needs_ledger(community, category=f.get("category"), channel=f.get("channel"),
                                status=f.get("status"), overdue=f.get("overdue"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    open_projects = list(selectors.open_projects(community))
    open_needs = list(Need.objects.filter(community=community, status=NeedStatus.OPEN).order_by("-raised_at")[:200])
    return {
        "community": community, "form": form, "page": page, "now": timezone.now(),
        "record_form": record_form or RecordNeedForm(community=community),
        "project_form": project_form or ProjectForm(open_needs=open_needs),
        "answer_form": AnswerForm(projects=open_projects),
        "open_projects": open_projects,
    }


@login_required
def staff_ledger(request):
    """The needs ledger for community staff: filters (category, channel, status, overdue), answers, projects."""
    community = _staff_community(request)
    return render(request, "needs/staff_ledger.html", _staff_context(request, community))


@login_required
@require_POST
def staff_record(request):
    community = _staff_community(request)
    form = RecordNeedForm(request.POST, request.FILES, community=community)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: with_photo(data.get("photo"), request.user, lambda: services.need_raise(
                community=community, text=data["text"], category=data["category"], actor=request.user,
                resident=data["resident"], channel=data["channel"])), success=_("需求已登记。"), form=form):
            return redirect(reverse("needs:staff") + f"?community={community.slug}")
    return render(request, "needs/staff_ledger.html", _staff_context(request, community, record_form=form))


@login_required
@require_POST
def answer(request, pk):
    need = get_object_or_404(Need.objects.select_related("community"), pk=pk)
    require(policies.is_community_staff(request.user, need.community), _("只有本社区的工作人员可以回应需求。"))

    def run(d):
        project = ServiceProject.objects.filter(pk=d["project"], community=need.community).first() \
            if d["project"] else None
        merge_into = Need.objects.filter(pk=d["merge_into"], community=need.community).first() \
            if d["merge_into"] else None
        return services.need_answer(need=need, actor=request.user, decision=d["decision"], reason=d["reason"],
                                    project=project, merge_into=merge_into)

    submit(request, AnswerForm(request.POST, projects=selectors.open_projects(need.community)), run,
           success=_("已回应这条需求。"))
    return redirect(reverse("needs:staff") + f"?community={need.community.slug}")


@login_required
@require_POST
def staff_project(request):
    community = _staff_community(request)
    open_needs = list(Need.objects.filter(community=community, status=NeedStatus.OPEN))
    form = ProjectForm(request.POST, open_needs=open_needs)
    if form.is_valid():
        data = form.cleaned_data
        chosen = [n for n in open_needs if n.pk in set(data["needs"])]
        created = {}

        def run():
            created["project"] = services.service_project_list(
                community=community, actor=request.user, title=data["title"], description=data["description"],
                needs=chosen, people_target=data["people_target"], starts_on=data["starts_on"],
                ends_on=data["ends_on"])

        if attempt(request, run, success=_("项目已列入项目清单，等待认领。"), form=form):
            return redirect("needs:project", pk=created["project"].pk)
    return render(request, "needs/staff_ledger.html", _staff_context(request, community, project_form=form))


@login_required
def overdue(request):
    """Supervisors and staff: open needs past their response time, in scope."""
    communities = policies.communities_in_scope(request.user)
    if not communities.exists():
        raise PermissionDenied(_("这个页面只对社区工作人员和监事会成员开放。"))
    qs = selectors.overdue_needs(communities).annotate(support_count=Count("supports"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "needs/overdue.html", {"page": page, "now": timezone.now()})
