"""The public organisations directory and an organisation's page (R18): no member names in public."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from councils import policies
from councils.models import Community, User
from yishi.errors import PermissionDenied
from yishi.views import attempt, form_invalid

from . import selectors, services
from .conflicts import flags_in as conflict_flags_in
from .enums import OrganisationStatus
from .forms import IncubateForm, RegisterForm
from .models import Incubation, Organisation

PAGE_SIZE = 30


def directory(request):
    community = None
    if request.GET.get("community"):
        community = Community.objects.filter(slug=request.GET["community"]).first()
    status = request.GET.get("status") if request.GET.get("status") in OrganisationStatus.values else None
    page = Paginator(selectors.directory(community, status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "organisations/directory.html", {
        "page": page, "community": community, "statuses": OrganisationStatus.choices, "status": status,
        "communities": Community.objects.order_by("name"),
    })


def detail(request, pk):
    organisation = get_object_or_404(Organisation.objects.prefetch_related("communities"), pk=pk)
    from needs.enums import ClaimStatus
    from needs.models import Claim

    claims = (
        Claim.objects.filter(organisation=organisation, status=ClaimStatus.CONFIRMED)
        .select_related("project").annotate(served=Sum("project__records__people_served"))
        .order_by("-claimed_at")[:50]
    )
    incubations = organisation.incubations.select_related("mentor").order_by("-started_at")
    mentored = organisation.mentored.select_related("organisation").order_by("-started_at")
    return render(request, "organisations/detail.html", {
        "organisation": organisation, "claims": claims, "incubations": incubations, "mentored": mentored,
        "member_count": organisation.members.count(),
    })


# --------------------------------------------------------------------------- community staff


def _staff_community(request):
    slug = request.GET.get("community") or request.POST.get("community")
    mine = [c for c in policies.communities_in_scope(request.user) if policies.is_community_staff(request.user, c)]
    if not mine:
        raise PermissionDenied(_("这个页面只对社区工作人员开放。"))
    if slug:
        community = next((c for c in mine if c.slug == slug), None)
        if community is None:
            raise Http404
        return community
    return mine[0]


def _back(community):
    return redirect(reverse("organisations:manage") + f"?community={community.slug}")


@login_required
def manage(request):
    """Register organisations, confirm them active, record incubation and graduation."""
    community = _staff_community(request)
    page = Paginator(selectors.serving(community), PAGE_SIZE).get_page(request.GET.get("page"))
    organisations = list(page.object_list)
    mentors = Organisation.objects.filter(communities=community, status=OrganisationStatus.ACTIVE).order_by("name")
    open_incubations = {i.organisation_id: i for i in Incubation.objects.filter(
        organisation__in=organisations, graduated_at__isnull=True).select_related("mentor")}
    for o in organisations:
        o.open_incubation = open_incubations.get(o.pk)
    return render(request, "organisations/manage.html", {
        "community": community, "organisations": organisations, "page": page, "form": RegisterForm(),
        "incubate_form": IncubateForm(mentors=mentors),
    })


@login_required
@require_POST
def register(request):
    community = _staff_community(request)
    form = RegisterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        admins = list(User.objects.filter(username=data["admin"])) if data["admin"] else []
        attempt(request, lambda: services.organisation_register(
            name=data["name"], kind=data["kind"], communities=[community], actor=request.user,
            credit_code=data["credit_code"] or None, admins=admins), success=_("组织已登记，进入孵化期。"))
    else:
        form_invalid(request, form)
    return _back(community)


def _organisation_of(request, pk):
    organisation = get_object_or_404(Organisation, pk=pk)
    if not services.staff_of_any(request.user, organisation):
        raise PermissionDenied(_("只有组织所服务社区的工作人员可以办理。"))
    return organisation


@login_required
@require_POST
def activate(request, pk):
    organisation = _organisation_of(request, pk)
    attempt(request, lambda: services.organisation_activate(organisation=organisation, actor=request.user),
            success=_("已确认%(org)s正常运行。") % {"org": organisation.name})
    return _back(organisation.communities.first())


@login_required
@require_POST
def incubate(request, pk):
    organisation = _organisation_of(request, pk)
    mentors = Organisation.objects.filter(status=OrganisationStatus.ACTIVE)
    form = IncubateForm(request.POST, mentors=mentors)
    if form.is_valid():
        mentor = mentors.get(pk=form.cleaned_data["mentor"])
        attempt(request, lambda: services.incubation_start(organisation=organisation, mentor=mentor,
                                                           actor=request.user),
                success=_("已登记孵化。"))
    else:
        form_invalid(request, form)
    return _back(organisation.communities.first())


@login_required
@require_POST
def graduate(request, pk):
    incubation = get_object_or_404(Incubation.objects.select_related("organisation"), pk=pk)
    organisation = _organisation_of(request, incubation.organisation_id)
    attempt(request, lambda: services.incubation_graduate(incubation=incubation, actor=request.user),
            success=_("%(org)s已出壳，转为正常运行。") % {"org": organisation.name})
    return _back(organisation.communities.first())


def _supervised(user):
    """Communities the user oversees: a supervisory board's seat over them, or a street-office post."""
    from django.db.models import Q

    from councils.enums import StaffLevel
    from councils.models import BoardSeat, StaffPost

    if user.is_superuser:
        return Community.objects.all()
    seats = BoardSeat.objects.current().filter(user=user)
    posts = StaffPost.objects.current().filter(user=user, level=StaffLevel.SUBDISTRICT)
    return Community.objects.filter(
        Q(pk__in=seats.filter(board__community__isnull=False).values("board__community"))
        | Q(subdistrict__in=seats.filter(board__subdistrict__isnull=False).values("board__subdistrict"))
        | Q(subdistrict__in=posts.values("subdistrict"))
    ).distinct()


@login_required
def conflicts(request):
    """Supervisors: decisions on money or work for an organisation the decider belongs to (利益冲突提示)."""
    communities = _supervised(request.user)
    if not communities.exists():
        raise PermissionDenied(_("这个页面只对监督人员（监事会成员、街道工作人员）开放。"))
    page = Paginator(conflict_flags_in(communities), 30).get_page(request.GET.get("page"))
    return render(request, "organisations/conflicts.html", {"page": page})
