"""Reads for the home page and the dashboard; each is one query, whatever the row count."""

from django.db.models import Count, Q
from django.utils import timezone

from councils.enums import CouncilKind, StaffLevel
from councils.models import Residency, Seat, StaffPost
from councils.policies import communities_in_scope
from proposals.enums import EventKind, ProposalStatus
from proposals.models import Ballot, Hold, Notice, Proposal, ProposalEvent

DECISIONS = (EventKind.APPROVED, EventKind.REJECTED, EventKind.SETTLED)


def notices_running(now=None, limit: int = 20):
    """Public notices running now, the soonest to end first (R5)."""
    now = now or timezone.now()
    return list(
        Notice.objects.filter(
            voided_at__isnull=True, published_at__lte=now, ends_at__gt=now,
            proposal__status=ProposalStatus.NOTICE,
        )
        .select_related("proposal__group__community", "resolution")
        .only(
            "published_at", "ends_at", "proposal__title", "proposal__status", "proposal__total", "proposal__by_party",
            "proposal__group__name", "proposal__group__community__name", "resolution__number",
            "resolution__total", "resolution__community_share",
        )
        .order_by("ends_at")[:limit]
    )


def decisions_recent(limit: int = 8):
    """The latest community decisions and settlements, newest first."""
    return list(
        ProposalEvent.objects.filter(kind__in=DECISIONS)
        .select_related("proposal__group__community")
        .only(
            "kind", "created_at", "proposal__title", "proposal__status", "proposal__total", "proposal__by_party",
            "proposal__group__name", "proposal__group__community__name",
        )
        .order_by("-created_at")[:limit]
    )


def public_counts() -> dict:
    """A few numbers for the home page, in one query."""
    return Proposal.objects.aggregate(
        public=Count("pk", filter=~Q(status=ProposalStatus.DRAFT)),
        approved=Count("pk", filter=Q(status__in=[
            ProposalStatus.APPROVED, ProposalStatus.FUNDED, ProposalStatus.RELEASED,
            ProposalStatus.IN_PROGRESS, ProposalStatus.ACCEPTED, ProposalStatus.SETTLED,
        ])),
        settled=Count("pk", filter=Q(status=ProposalStatus.SETTLED)),
    )


# --- dashboard ---------------------------------------------------------------


def residency_of(user, now=None) -> Residency | None:
    """The user's open residency, verified or still waiting for staff (R1)."""
    now = now or timezone.now()
    return (
        Residency.objects.current(now)
        .filter(user=user)
        .select_related("group__community")
        .order_by("-verified_at")
        .first()
    )


def group_proposals(user, group, limit: int = 8):
    """The group's proposals a member may see: all but other people's drafts."""
    return list(
        Proposal.objects.filter(group=group)
        .exclude(Q(status=ProposalStatus.DRAFT) & ~Q(author=user))
        .only("title", "status", "total", "updated_at", "author_id", "by_party")
        .order_by("-updated_at")[:limit]
    )


def ballots_awaiting(user, now=None, limit: int = 10):
    """Open ballots where ``user`` is an elector and has not voted yet (R7: frozen electorate)."""
    now = now or timezone.now()
    return list(
        Ballot.objects.filter(
            electors__user=user, closed_at__isnull=True, closes_at__gt=now,
        )
        .exclude(votes__voter=user)
        .select_related("proposal")
        .only("kind", "closes_at", "proposal__title", "proposal__status")
        .order_by("closes_at")[:limit]
    )


def review_queue_count(user, now=None) -> int:
    """Proposals waiting in the user's group councils: in review, adopted, or on notice."""
    now = now or timezone.now()
    groups = Seat.objects.current(now).filter(user=user, council__kind=CouncilKind.GROUP).values(
        "council__group"
    )
    return Proposal.objects.filter(
        group__in=groups,
        status__in=[ProposalStatus.GROUP_REVIEW, ProposalStatus.ADOPTED, ProposalStatus.NOTICE],
    ).count()


def staff_counts(user, now=None) -> dict:
    """Work waiting for community staff: residents to verify, proposals ready for a ballot."""
    now = now or timezone.now()
    communities = StaffPost.objects.current(now).filter(user=user, level=StaffLevel.COMMUNITY).values(
        "community"
    )
    if user.is_superuser:
        pending = Residency.objects.filter(verified_at__isnull=True, ends_at__isnull=True)
        submitted = Proposal.objects.filter(status=ProposalStatus.SUBMITTED)
    else:
        pending = Residency.objects.filter(
            verified_at__isnull=True, ends_at__isnull=True, group__community__in=communities
        )
        submitted = Proposal.objects.filter(
            status=ProposalStatus.SUBMITTED, group__community__in=communities
        )
    return {"residents_pending": pending.count(), "proposals_submitted": submitted.count()}


def street_counts(user, now=None) -> dict:
    """Budgets waiting for review and money waiting for release in the user's subdistricts (R8, R10)."""
    now = now or timezone.now()
    subdistricts = StaffPost.objects.current(now).filter(
        user=user, level=StaffLevel.SUBDISTRICT
    ).values("subdistrict")
    proposals = Proposal.objects.all()
    if not user.is_superuser:
        proposals = proposals.filter(group__community__subdistrict__in=subdistricts)
    return proposals.aggregate(
        budgets=Count("pk", filter=Q(status=ProposalStatus.APPROVED)),
        releases=Count("pk", filter=Q(status=ProposalStatus.FUNDED)),
    )


def supervisor_counts(user, now=None) -> dict:
    """Open holds and proposals in progress in the supervisor's scope (R11)."""
    communities = communities_in_scope(user, now)
    return {
        "open_holds": Hold.objects.filter(
            lifted_at__isnull=True, proposal__group__community__in=communities
        ).count(),
        "active": Proposal.objects.filter(group__community__in=communities)
        .exclude(status__in=[
            ProposalStatus.DRAFT, ProposalStatus.SETTLED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN,
        ])
        .count(),
    }
