"""What a signed-in user is, in one query, for the header and the dashboard.

The header shows links by role on every page, so the roles come from a single
query of ``Exists`` subqueries over the membership tables (the same rows
``councils.policies`` asks), computed once per request and only when a template
asks for them. Scope checks stay in each view; this only decides which links
to offer.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from councils.enums import CouncilKind, StaffLevel
from councils.models import BoardSeat, Residency, Seat, StaffPost, User
from funding.models import EvaluatorAppointment


@dataclass(frozen=True)
class Roles:
    resident: bool = False
    pending_resident: bool = False
    group_council: bool = False
    community_council: bool = False
    community_staff: bool = False
    street_staff: bool = False
    supervisor: bool = False
    superuser: bool = False
    evaluator: bool = False  # appointed by a street office to evaluate its projects (R26)

    @property
    def any_staff(self) -> bool:
        return self.community_staff or self.street_staff

    @property
    def anything(self) -> bool:
        return any(
            (self.resident, self.group_council, self.community_council, self.community_staff,
             self.street_staff, self.supervisor, self.evaluator)
        )


NOBODY = Roles()


def _current(queryset, at):
    return queryset.filter(Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))


def user_roles(user, at=None) -> Roles:
    """The memberships ``user`` holds at ``at`` (default now), as flags."""
    if not (user and getattr(user, "is_authenticated", False)):
        return NOBODY
    at = at or timezone.now()
    me = OuterRef("pk")
    residencies = _current(Residency.objects.filter(user=me), at)
    seats = _current(Seat.objects.filter(user=me), at)
    posts = _current(StaffPost.objects.filter(user=me), at)
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            r_resident=Exists(residencies.filter(verified_at__isnull=False)),
            r_pending=Exists(residencies.filter(verified_at__isnull=True)),
            r_group=Exists(seats.filter(council__kind=CouncilKind.GROUP)),
            r_community=Exists(seats.filter(council__kind=CouncilKind.COMMUNITY)),
            r_staff=Exists(posts.filter(level=StaffLevel.COMMUNITY)),
            r_street=Exists(posts.filter(level=StaffLevel.SUBDISTRICT)),
            r_supervisor=Exists(_current(BoardSeat.objects.filter(user=me), at)),
            r_evaluator=Exists(EvaluatorAppointment.objects.filter(user=me, ended_at__isnull=True)),
        )
        .values(
            "r_resident", "r_pending", "r_group", "r_community", "r_staff", "r_street", "r_supervisor",
            "r_evaluator",
        )
        .first()
    )
    if row is None:
        return NOBODY
    return Roles(
        resident=row["r_resident"],
        pending_resident=row["r_pending"],
        group_council=row["r_group"],
        community_council=row["r_community"],
        community_staff=row["r_staff"],
        street_staff=row["r_street"],
        supervisor=row["r_supervisor"],
        superuser=user.is_superuser,
        evaluator=row["r_evaluator"],
    )


def request_roles(request) -> Roles:
    """``user_roles`` of the request's user, computed at most once per request."""
    cached = getattr(request, "_yishi_roles", None)
    if cached is None:
        cached = user_roles(getattr(request, "user", None))
        request._yishi_roles = cached
    return cached
