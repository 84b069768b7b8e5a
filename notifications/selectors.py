"""Who is told, and what the inbox shows.

Every recipient set is derived from one proposal's group, community or
subdistrict (or a ballot of that proposal), so a message never reaches people
of another community.
"""

from django.db.models import Q, QuerySet
from django.utils import timezone

from councils.enums import CouncilKind, StaffLevel
from councils.models import (
    BoardSeat,
    Community,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    Subdistrict,
    User,
)
from proposals.models import Ballot, BallotElector, Vote

from .enums import NotificationKind
from .models import KindPreference, MailPreference, Notification


def group_residents(group: ResidentGroup, at=None) -> QuerySet[User]:
    """Verified residents of ``group`` now (R1)."""
    rows = Residency.objects.current(at).filter(group=group, verified_at__isnull=False)
    return User.objects.filter(pk__in=rows.values("user"), is_active=True)


def group_council_members(group: ResidentGroup, at=None) -> QuerySet[User]:
    seats = Seat.objects.current(at).filter(council__kind=CouncilKind.GROUP, council__group=group)
    return User.objects.filter(pk__in=seats.values("user"), is_active=True)


def community_staff(community: Community, at=None) -> QuerySet[User]:
    posts = StaffPost.objects.current(at).filter(level=StaffLevel.COMMUNITY, community=community)
    return User.objects.filter(pk__in=posts.values("user"), is_active=True)


def street_staff(subdistrict: Subdistrict, at=None) -> QuerySet[User]:
    posts = StaffPost.objects.current(at).filter(level=StaffLevel.SUBDISTRICT, subdistrict=subdistrict)
    return User.objects.filter(pk__in=posts.values("user"), is_active=True)


def ballot_electors(ballot: Ballot) -> QuerySet[User]:
    """The electorate frozen when the ballot opened (R7)."""
    return User.objects.filter(
        pk__in=BallotElector.objects.filter(ballot=ballot).values("user"), is_active=True
    )


def electors_not_voted(ballot: Ballot) -> QuerySet[User]:
    return ballot_electors(ballot).exclude(pk__in=Vote.objects.filter(ballot=ballot).values("voter"))


def within_community(users: QuerySet[User], community: Community, at=None) -> QuerySet[User]:
    """Keep only users who belong to ``community``: a residency, a seat, a post or a board seat in scope.

    Followers choose to follow a public proposal; only those of its own
    community are told of its steps.
    """
    at = at or timezone.now()
    residents = Residency.objects.current(at).filter(group__community=community, verified_at__isnull=False)
    seats = Seat.objects.current(at).filter(council__community=community)
    posts = StaffPost.objects.current(at).filter(
        Q(community=community) | Q(level=StaffLevel.SUBDISTRICT, subdistrict_id=community.subdistrict_id)
    )
    boards = BoardSeat.objects.current(at).filter(
        Q(board__community=community) | Q(board__subdistrict_id=community.subdistrict_id)
    )
    return users.filter(
        Q(pk__in=residents.values("user"))
        | Q(pk__in=seats.values("user"))
        | Q(pk__in=posts.values("user"))
        | Q(pk__in=boards.values("user"))
    )


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user).order_by("-created_at", "-pk")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def email_kinds(user: User) -> set[str]:
    """The kinds the user gets by mail (all but those turned off)."""
    off = set(KindPreference.objects.filter(user=user, email=False).values_list("kind", flat=True))
    return set(NotificationKind.values) - off


def wants_digest(user: User) -> bool:
    return MailPreference.objects.filter(user=user, digest=True).exists()
