"""Pages for community staff: residents, council and board seats.

The staff home (ballots to open and close, notices running, entries on behalf
of residents) shows proposals, so it lives in ``proposals/views/staff.py``
(``councils`` imports nothing from ``proposals``); it shares the scope helpers
below and the ``councils:`` URL names (see ``yishi/urls.py``).

Every view: log-in required, the community must be one where the user holds a
community staff post (another community answers 404), a role without the right
answers 403 with the reason. Mutations are POST-only and call one service; a
refusal (``DomainError``) is shown next to the form that caused it.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yishi.errors import PermissionDenied
from yishi.views import attempt

from . import policies, services
from .enums import CouncilKind, StaffLevel
from .forms import BoardSeatAssignForm, ResidentRegisterForm, SeatAssignForm
from .models import BoardSeat, Community, Council, Residency, Seat, StaffPost, SupervisoryBoard

RESIDENTS_PER_PAGE = 50


# --------------------------------------------------------------------------- scope


def staff_communities(user):
    """Communities where ``user`` holds a current community staff post (superusers: all)."""
    if user.is_superuser:
        return Community.objects.select_related("subdistrict").order_by("name")
    posts = StaffPost.objects.current().filter(user=user, level=StaffLevel.COMMUNITY)
    return Community.objects.filter(pk__in=posts.values("community")).select_related("subdistrict").order_by("name")


def is_street_staff_anywhere(user) -> bool:
    return StaffPost.objects.current().filter(user=user, level=StaffLevel.SUBDISTRICT).exists()


def staff_scope(request):
    """(community chosen by ``?community=``, all the user's staff communities).

    No staff post at all: 403 with the reason. A community outside the user's
    posts: 404, as for any object outside scope.
    """
    communities = list(staff_communities(request.user))
    if not communities:
        raise PermissionDenied(_("这个页面只对社区工作人员开放。如果您是社区工作人员，请请街道办为您设立工作岗位。"))
    wanted = request.GET.get("community") or request.POST.get("community")
    if wanted:
        try:
            wanted = int(wanted)
        except (TypeError, ValueError):
            raise Http404 from None
        for community in communities:
            if community.pk == wanted:
                return community, communities
        raise Http404
    return communities[0], communities


def require_staff_of(request, community):
    """For objects named in the URL: 403 for someone who belongs to the community, 404 for an outsider."""
    if not policies.is_community_staff(request.user, community):
        if policies.touches_community(request.user, community):
            raise PermissionDenied(_("只有本社区的工作人员可以这样做。"))
        raise Http404


def with_community(url: str, community) -> str:
    return f"{url}?community={community.pk}"


# --------------------------------------------------------------------------- residents


def _residents_context(request, community, communities, *, register_form=None, error=None):
    pending = list(
        Residency.objects.filter(group__community=community, verified_at__isnull=True, ends_at__isnull=True)
        .select_related("user", "group")
        .order_by("requested_at")
    )
    current = (
        Residency.objects.current()
        .filter(group__community=community, verified_at__isnull=False)
        .select_related("user", "group")
        .order_by("group__name", "user__full_name", "user__username")
    )
    group_id = request.GET.get("group")
    groups = list(community.groups.order_by("name"))
    if group_id and group_id.isdigit() and any(g.pk == int(group_id) for g in groups):
        current = current.filter(group_id=int(group_id))
        group_id = int(group_id)
    else:
        group_id = None
    page = Paginator(current, RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "community": community,
        "communities": communities,
        "pending": pending,
        "page": page,
        "groups": groups,
        "group_id": group_id,
        "register_form": register_form or ResidentRegisterForm(community=community),
        "error": error,
    }


@login_required
def residents(request):
    community, communities = staff_scope(request)
    return render(request, "councils/residents.html", _residents_context(request, community, communities))


def _residency_in_scope(request, pk) -> Residency:
    residency = get_object_or_404(Residency.objects.select_related("user", "group__community"), pk=pk)
    require_staff_of(request, residency.group.community)
    return residency


def _back_to_residents(community):
    return redirect(with_community(reverse("councils:residents"), community))


@login_required
@require_POST
def residency_verify(request, pk):
    residency = _residency_in_scope(request, pk)
    community = residency.group.community
    attempt(request, lambda: services.residency_verify(resident=residency.user, group=residency.group,
                                                        actor=request.user),
             success=_("已核实 %(name)s 为%(group)s居民。") % {
                 "name": residency.user.display_name, "group": residency.group.name})
    return _back_to_residents(community)


@login_required
@require_POST
def residency_end(request, pk):
    residency = _residency_in_scope(request, pk)
    community = residency.group.community
    attempt(request, lambda: services.residency_end(residency=residency, actor=request.user),
             success=_("已为 %(name)s 办理迁出。") % {"name": residency.user.display_name})
    return _back_to_residents(community)


@login_required
@require_POST
def resident_register(request):
    community, communities = staff_scope(request)
    form = ResidentRegisterForm(request.POST, community=community)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: services.residency_verify(resident=data["account"], group=data["group"],
                                                               actor=request.user),
                    success=_("已登记 %(name)s 为%(group)s居民。") % {
                        "name": data["account"].display_name, "group": data["group"].name}, form=form):
            return _back_to_residents(community)
    context = _residents_context(request, community, communities, register_form=form)
    return render(request, "councils/residents.html", context)


# --------------------------------------------------------------------------- seats


def _seats_context(request, community, communities, *, seat_form=None, board_form=None):
    now = timezone.now()
    councils = list(
        Council.objects.filter(community=community)
        .select_related("group")
        .prefetch_related(
            Prefetch(
                "seats",
                queryset=Seat.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
                .select_related("user")
                .order_by("role", "user__full_name", "user__username"),
                to_attr="open_seats",
            )
        )
        .order_by("kind", "name")
    )
    for council in councils:
        council.current_count = sum(1 for s in council.open_seats if s.starts_at <= now)
    boards = list(
        SupervisoryBoard.objects.filter(Q(community=community) | Q(subdistrict_id=community.subdistrict_id))
        .prefetch_related(
            Prefetch(
                "seats",
                queryset=BoardSeat.objects.current(now).select_related("user").order_by("user__full_name"),
                to_attr="current_seats",
            )
        )
        .order_by("subdistrict_id", "name")
    )
    return {
        "community": community,
        "communities": communities,
        "councils": councils,
        "boards": boards,
        "now": now,
        "community_kind": CouncilKind.COMMUNITY,
        "seat_form": seat_form or SeatAssignForm(community=community),
        "board_form": board_form or BoardSeatAssignForm(community=community),
    }


@login_required
def seats(request):
    community, communities = staff_scope(request)
    return render(request, "councils/seats.html", _seats_context(request, community, communities))


def _back_to_seats(community):
    return redirect(with_community(reverse("councils:seats"), community))


@login_required
@require_POST
def seat_assign(request):
    community, communities = staff_scope(request)
    form = SeatAssignForm(request.POST, community=community)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: services.seat_assign(
                council=data["council"], user=data["account"], actor=request.user, role=data["role"],
                starts_at=data["starts_at"], ends_at=data["ends_at"]),
                success=_("已任命 %(name)s 为%(council)s成员。") % {
                    "name": data["account"].display_name, "council": data["council"].name}, form=form):
            return _back_to_seats(community)
    return render(request, "councils/seats.html", _seats_context(request, community, communities, seat_form=form))


@login_required
@require_POST
def seat_end(request, pk):
    seat = get_object_or_404(Seat.objects.select_related("user", "council__community"), pk=pk)
    community = seat.council.community
    require_staff_of(request, community)
    attempt(request, lambda: services.seat_end(seat=seat, actor=request.user),
             success=_("已结束 %(name)s 在%(council)s的任期。") % {
                 "name": seat.user.display_name, "council": seat.council.name})
    return _back_to_seats(community)


@login_required
@require_POST
def board_seat_assign(request):
    community, communities = staff_scope(request)
    form = BoardSeatAssignForm(request.POST, community=community)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: services.board_seat_assign(board=data["board"], user=data["account"],
                                                                actor=request.user, title=data["title"]),
                    success=_("已任命 %(name)s 为%(board)s成员。") % {
                        "name": data["account"].display_name, "board": data["board"].name}, form=form):
            return _back_to_seats(community)
    return render(request, "councils/seats.html", _seats_context(request, community, communities, board_form=form))

