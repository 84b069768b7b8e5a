"""Who holds what, where: permission predicates from memberships in scope.

Every predicate takes the instant ``at`` (default now) because memberships have
terms. Views and services of every app ask these; none ask Django groups.
Superusers pass the staff predicates so the admin can repair data, but they
are never residents, council members or supervisors by being superusers.
"""

from django.db.models import Q

from .enums import CouncilKind, StaffLevel
from .models import (
    BoardSeat,
    Community,
    Council,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    Subdistrict,
    User,
)


def _authenticated(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False))


def current_residency(user, at=None) -> Residency | None:
    """The user's verified residency in force at ``at`` (R1: at most one)."""
    if not _authenticated(user):
        return None
    return (
        Residency.objects.current(at)
        .filter(user=user, verified_at__isnull=False)
        .select_related("group__community__subdistrict")
        .first()
    )


def is_resident_of(user, group: ResidentGroup, at=None) -> bool:
    if not _authenticated(user):
        return False
    return (
        Residency.objects.current(at)
        .filter(user=user, group=group, verified_at__isnull=False)
        .exists()
    )


def group_council(group: ResidentGroup) -> Council | None:
    return Council.objects.filter(kind=CouncilKind.GROUP, group=group).first()


def community_council(community: Community) -> Council | None:
    return Council.objects.filter(kind=CouncilKind.COMMUNITY, community=community).first()


def seated_members(council: Council, at=None):
    """Users holding a seat on ``council`` at ``at``."""
    return User.objects.filter(
        pk__in=Seat.objects.current(at).filter(council=council).values("user")
    ).order_by("full_name", "username")


def is_seated(user, council: Council | None, at=None) -> bool:
    if council is None or not _authenticated(user):
        return False
    return Seat.objects.current(at).filter(council=council, user=user).exists()


def is_group_council_member(user, group: ResidentGroup, at=None) -> bool:
    if not _authenticated(user):
        return False
    return (
        Seat.objects.current(at)
        .filter(user=user, council__kind=CouncilKind.GROUP, council__group=group)
        .exists()
    )


def is_community_council_member(user, community: Community, at=None) -> bool:
    if not _authenticated(user):
        return False
    return (
        Seat.objects.current(at)
        .filter(user=user, council__kind=CouncilKind.COMMUNITY, council__community=community)
        .exists()
    )


def is_community_staff(user, community: Community, at=None) -> bool:
    if not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    return (
        StaffPost.objects.current(at)
        .filter(user=user, level=StaffLevel.COMMUNITY, community=community)
        .exists()
    )


def is_street_staff(user, subdistrict: Subdistrict, at=None) -> bool:
    if not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    return (
        StaffPost.objects.current(at)
        .filter(user=user, level=StaffLevel.SUBDISTRICT, subdistrict=subdistrict)
        .exists()
    )


def is_supervisor_of(user, community: Community, at=None) -> bool:
    """A seat on the community's board or on its subdistrict's board (R11)."""
    if not _authenticated(user):
        return False
    return (
        BoardSeat.objects.current(at)
        .filter(user=user)
        .filter(Q(board__community=community) | Q(board__subdistrict_id=community.subdistrict_id))
        .exists()
    )


def holds_post_or_seat_in(user, community: Community, at=None) -> bool:
    """Any council seat or staff post in ``community`` (R2: a supervisor may hold neither)."""
    seat = Seat.objects.current(at).filter(user=user, council__community=community).exists()
    post = StaffPost.objects.current(at).filter(user=user, community=community).exists()
    return seat or post


def _overlapping(qs, starts_at, ends_at=None):
    """Rows of a membership queryset whose term overlaps ``[starts_at, ends_at)``."""
    qs = qs.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
    if ends_at is not None:
        qs = qs.filter(starts_at__lt=ends_at)
    return qs


def supervises_during(user, community: Community, starts_at, ends_at=None) -> bool:
    """R2: a board seat over ``community`` (its own board or its subdistrict's) at any time in the term."""
    seats = BoardSeat.objects.filter(user=user).filter(
        Q(board__community=community) | Q(board__subdistrict_id=community.subdistrict_id)
    )
    return _overlapping(seats, starts_at, ends_at).exists()


def holds_post_or_seat_during(user, community: Community, starts_at, ends_at=None) -> bool:
    """R2: a council seat or staff post in ``community`` (or a street-office post over it)
    at any time in the term ``[starts_at, ends_at)``."""
    seats = Seat.objects.filter(user=user, council__community=community)
    posts = StaffPost.objects.filter(user=user).filter(
        Q(community=community) | Q(level=StaffLevel.SUBDISTRICT, subdistrict_id=community.subdistrict_id)
    )
    return _overlapping(seats, starts_at, ends_at).exists() or _overlapping(posts, starts_at, ends_at).exists()


def communities_in_scope(user, at=None):
    """Communities whose private records ``user`` may read as staff or supervisor."""
    if not _authenticated(user):
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    posts = StaffPost.objects.current(at).filter(user=user)
    seats = BoardSeat.objects.current(at).filter(user=user)
    return Community.objects.filter(
        Q(pk__in=posts.filter(level=StaffLevel.COMMUNITY).values("community"))
        | Q(subdistrict__in=posts.filter(level=StaffLevel.SUBDISTRICT).values("subdistrict"))
        | Q(pk__in=seats.filter(board__community__isnull=False).values("board__community"))
        | Q(subdistrict__in=seats.filter(board__subdistrict__isnull=False).values("board__subdistrict"))
    ).distinct()


def touches_community(user, community: Community, at=None) -> bool:
    """Any membership in the community (or over it, from its subdistrict): used to tell 403 from 404.

    A verified residency, a council seat or a community staff post in ``community``, a street-office
    post over its subdistrict, or a seat on a board over it. Superusers touch every community.
    """
    if not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    residency = current_residency(user, at)
    if residency is not None and residency.group.community_id == community.pk:
        return True
    if Seat.objects.current(at).filter(user=user, council__community=community).exists():
        return True
    posts = StaffPost.objects.current(at).filter(user=user).filter(
        Q(level=StaffLevel.COMMUNITY, community=community)
        | Q(level=StaffLevel.SUBDISTRICT, subdistrict_id=community.subdistrict_id)
    )
    return posts.exists() or is_supervisor_of(user, community, at)
