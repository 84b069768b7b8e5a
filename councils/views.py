"""Pages for community staff: the staff home, residents, council and board seats.

Every view: log-in required, the community must be one where the user holds a
community staff post (another community answers 404), a role without the right
answers 403 with the reason. Mutations are POST-only and call one service; a
refusal (``DomainError``) is shown next to the form that caused it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from proposals import services as proposal_services
from proposals.enums import BallotKind, ProposalStatus
from proposals.models import Ballot, Notice, Proposal
from proposals.views.access import viewer_for
from yishi.errors import DomainError, PermissionDenied
from yishi.views import attempt

from . import policies, services
from .enums import CouncilKind, PostKind, StaffLevel
from .forms import (
    PartyPostAssignForm,
    BallotOpenForm,
    BoardSeatAssignForm,
    ProxyObjectionForm,
    ProxyVoteForm,
    ResidentRegisterForm,
    SeatAssignForm,
    default_closes_at,
)
from .models import BoardSeat, Community, Council, Residency, Seat, StaffPost, SupervisoryBoard

RESIDENTS_PER_PAGE = 50


# --------------------------------------------------------------------------- scope


def staff_communities(user):
    """Communities where ``user`` holds a current community staff post (superusers: all)."""
    if user.is_superuser:
        return Community.objects.select_related("subdistrict").order_by("name")
    posts = StaffPost.objects.current().filter(user=user, level=StaffLevel.COMMUNITY)
    return Community.objects.filter(pk__in=posts.values("community")).select_related("subdistrict").order_by("name")


def _is_street_staff_anywhere(user) -> bool:
    return StaffPost.objects.current().filter(user=user, level=StaffLevel.SUBDISTRICT).exists()


def _staff_scope(request):
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


def _require_staff_of(request, community):
    """For objects named in the URL: 403 for someone who belongs to the community, 404 for an outsider."""
    if not policies.is_community_staff(request.user, community):
        if viewer_for(request).touches_community(community.pk, community.subdistrict_id):
            raise PermissionDenied(_("只有本社区的工作人员可以这样做。"))
        raise Http404


def _with_community(url: str, community) -> str:
    return f"{url}?community={community.pk}"


# --------------------------------------------------------------------------- staff home


def _home_context(request, community, communities, *, failed=None):
    """Everything the staff home shows. ``failed``: (proposal pk, bound form) after a refusal."""
    submitted = list(
        Proposal.objects.filter(group__community=community, status=ProposalStatus.SUBMITTED)
        .select_related("group")
        .order_by("updated_at")
    )
    rows = []
    for proposal in submitted:
        if failed and failed[0] == proposal.pk:
            form = failed[1]
        else:
            form = BallotOpenForm(initial={"closes_at": default_closes_at()}, auto_id=f"id_p{proposal.pk}_%s")
        rows.append((proposal, form))
    ballots = list(
        Ballot.objects.filter(
            kind=BallotKind.COMMUNITY, closed_at__isnull=True, proposal__group__community=community
        )
        .select_related("proposal__group")
        .annotate(
            approves=Count("votes", filter=Q(votes__choice="approve")),
            cast=Count("votes"),
        )
        .order_by("closes_at")
    )
    now = timezone.now()
    for ballot in ballots:
        ballot.needed = proposal_services.ballot_threshold(ballot).approvals_needed(
            electorate=ballot.electorate_size, votes_cast=ballot.cast
        )
        # What the close service will accept now (it checks again): shown before the click.
        ballot.remaining = ballot.electorate_size - ballot.cast
        ballot.close_now = (
            now >= ballot.closes_at or ballot.remaining == 0
            or ballot.approves >= ballot.needed or ballot.approves + ballot.remaining < ballot.needed
        )
    notices = list(
        Notice.objects.filter(
            proposal__group__community=community, proposal__status=ProposalStatus.NOTICE,
            voided_at__isnull=True, ends_at__gt=timezone.now(),
        )
        .select_related("proposal__group")
        .order_by("ends_at")
    )
    pending = Residency.objects.filter(
        group__community=community, verified_at__isnull=True, ends_at__isnull=True
    ).count()
    return {
        "community": community,
        "communities": communities,
        "submitted_rows": rows,
        "ballots": ballots,
        "notices": notices,
        "pending_count": pending,
        "is_street_staff": _is_street_staff_anywhere(request.user),
    }


@login_required
def staff_home(request):
    communities = list(staff_communities(request.user))
    if not communities:
        if _is_street_staff_anywhere(request.user):
            return redirect("funding:review_queue")
        raise PermissionDenied(_("这个页面只对社区工作人员开放。"))
    community, communities = _staff_scope(request)
    return render(request, "councils/staff_home.html", _home_context(request, community, communities))


@login_required
@require_POST
def ballot_open(request, pk):
    """Open the community ballot on a SUBMITTED proposal (R7)."""
    proposal = get_object_or_404(Proposal.objects.select_related("group__community"), pk=pk)
    community = proposal.group.community
    _require_staff_of(request, community)
    form = BallotOpenForm(request.POST, auto_id=f"id_p{proposal.pk}_%s")
    if form.is_valid():
        if attempt(request, lambda: proposal_services.community_ballot_open(
                proposal=proposal, actor=request.user, closes_at=form.cleaned_data["closes_at"]),
                success=_("已发起社区表决：%(title)s") % {"title": proposal.title}, form=form):
            return redirect(_with_community(reverse("councils:staff_home"), community))
    communities = list(staff_communities(request.user))
    context = _home_context(request, community, communities, failed=(proposal.pk, form))
    return render(request, "councils/staff_home.html", context)


@login_required
@require_POST
def ballot_close(request, pk):
    """Close a community ballot early once the outcome can no longer change (R7)."""
    ballot = get_object_or_404(
        Ballot.objects.select_related("proposal__group__community"), pk=pk, kind=BallotKind.COMMUNITY
    )
    community = ballot.proposal.group.community
    _require_staff_of(request, community)
    attempt(request, lambda: proposal_services.ballot_close(ballot=ballot, actor=request.user),
             success=_("表决已结束：%(title)s") % {"title": ballot.proposal.title})
    return redirect(_with_community(reverse("councils:staff_home"), community))


# --------------------------------------------------------------------------- entries on behalf


def _proxy_vote_render(request, ballot, form, status=200):
    return render(request, "councils/proxy_vote.html", {"ballot": ballot, "form": form,
                                                        "community": ballot.proposal.group.community},
                  status=status)


@login_required
def proxy_vote(request, pk):
    """Staff record a paper vote for a community-council member (recorded as such, R7)."""
    ballot = get_object_or_404(
        Ballot.objects.select_related("proposal__group__community"), pk=pk, kind=BallotKind.COMMUNITY
    )
    community = ballot.proposal.group.community
    _require_staff_of(request, community)
    if request.method != "POST":
        return _proxy_vote_render(request, ballot, ProxyVoteForm())
    form = ProxyVoteForm(request.POST)
    if form.is_valid():
        try:
            proposal_services.vote_cast(
                ballot=ballot, voter=form.cleaned_data["account"], choice=form.cleaned_data["choice"],
                recorded_by=request.user, proxy_reason=form.cleaned_data["proxy_reason"],
                proxy_detail=form.cleaned_data["proxy_detail"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("已代录 %(name)s 的表决。") % {"name": form.cleaned_data["account"].display_name}
            )
            return redirect(_with_community(reverse("councils:staff_home"), community))
    return _proxy_vote_render(request, ballot, form)


@login_required
def proxy_objection(request, pk):
    """Staff enter a written objection for a resident of the group (recorded as such, R5)."""
    notice = get_object_or_404(Notice.objects.select_related("proposal__group__community"), pk=pk)
    community = notice.proposal.group.community
    _require_staff_of(request, community)
    form = ProxyObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal_services.objection_file(
                notice=notice, resident=form.cleaned_data["account"], text=form.cleaned_data["text"],
                recorded_by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已代录异议。"))
            return redirect(_with_community(reverse("councils:staff_home"), community))
    return render(request, "councils/proxy_objection.html", {"notice": notice, "form": form, "community": community})


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
    community, communities = _staff_scope(request)
    return render(request, "councils/residents.html", _residents_context(request, community, communities))


def _residency_in_scope(request, pk) -> Residency:
    residency = get_object_or_404(Residency.objects.select_related("user", "group__community"), pk=pk)
    _require_staff_of(request, residency.group.community)
    return residency


def _back_to_residents(community):
    return redirect(_with_community(reverse("councils:residents"), community))


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
    community, communities = _staff_scope(request)
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
    party_posts = list(
        StaffPost.objects.current(now).filter(community=community, kind=PostKind.PARTY)
        .select_related("user").order_by("starts_at", "pk")
    )

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
        "party_posts": party_posts,
        "may_appoint": policies.is_street_staff(request.user, community.subdistrict),
    }


@login_required
def seats(request):
    community, communities = _staff_scope(request)
    return render(request, "councils/seats.html", _seats_context(request, community, communities))


def _back_to_seats(community):
    return redirect(_with_community(reverse("councils:seats"), community))


@login_required
@require_POST
def seat_assign(request):
    community, communities = _staff_scope(request)
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
    _require_staff_of(request, community)
    attempt(request, lambda: services.seat_end(seat=seat, actor=request.user),
             success=_("已结束 %(name)s 在%(council)s的任期。") % {
                 "name": seat.user.display_name, "council": seat.council.name})
    return _back_to_seats(community)


@login_required
@require_POST
def board_seat_assign(request):
    community, communities = _staff_scope(request)
    form = BoardSeatAssignForm(request.POST, community=community)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(request, lambda: services.board_seat_assign(board=data["board"], user=data["account"],
                                                                actor=request.user, title=data["title"]),
                    success=_("已任命 %(name)s 为%(board)s成员。") % {
                        "name": data["account"].display_name, "board": data["board"].name}, form=form):
            return _back_to_seats(community)
    return render(request, "councils/seats.html", _seats_context(request, community, communities, board_form=form))



# --------------------------------------------------------------------------- party organisation (R23)


def _street_communities(user):
    """Communities of the subdistricts where ``user`` holds a street-office post (superusers: all)."""
    if user.is_superuser:
        return Community.objects.select_related("subdistrict").order_by("name")
    subdistricts = StaffPost.objects.current().filter(user=user, level=StaffLevel.SUBDISTRICT).values("subdistrict")
    return Community.objects.filter(subdistrict__in=subdistricts).select_related("subdistrict").order_by("name")


@login_required
def party_posts(request):
    """R23: street-office staff appoint members of each community's party organisation (社区党组织)."""
    communities = list(_street_communities(request.user))
    if not communities:
        raise PermissionDenied(_("只有街道办工作人员可以任命社区党组织成员。"))
    form = PartyPostAssignForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = data["community"]
        if attempt(request, lambda: services.staff_post_assign(
                user=data["account"], actor=request.user, level=StaffLevel.COMMUNITY,
                subdistrict=community.subdistrict, community=community, title=data["title"] or "",
                kind=PostKind.PARTY),
                success=_("已任命 %(name)s 为%(community)s党组织成员。") % {
                    "name": data["account"].display_name, "community": community.name}, form=form):
            return redirect("councils:party_posts")
    posts = list(
        StaffPost.objects.current().filter(community__in=communities, kind=PostKind.PARTY)
        .select_related("user", "community").order_by("community__name", "starts_at", "pk")
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "councils/party_posts.html", {"form": form, "posts": posts}, status=status)
