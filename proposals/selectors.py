"""Reusable, scoped reads of proposals for views (no state changes here).

Each selector returns a queryset (or one object) with what its page needs
already joined or prefetched, so a list costs a fixed number of queries
whatever its length. Scope comes from memberships (``councils.policies``),
expressed as subqueries so it stays one SQL statement.
"""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from councils import policies
from councils.enums import CouncilKind
from councils.models import Residency, Seat

from .enums import PUBLIC, BallotKind, ProposalStatus
from .models import (
    AgendaItem,
    Ballot,
    BallotElector,
    Hold,
    Notice,
    Objection,
    Opinion,
    Proposal,
    ProposalEvent,
    Resolution,
    RoadshowQuestion,
    Vote,
)

S = ProposalStatus


def _authenticated(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False))


def public_q() -> Q:
    """States anyone may read. A withdrawal is public only if the proposal had left its group
    (it has a resolution); a withdrawn draft stays the group's business."""
    return Q(status__in=[s for s in PUBLIC if s != S.WITHDRAWN]) | (
        Q(status=S.WITHDRAWN) & Exists(Resolution.objects.filter(proposal=OuterRef("pk")))
    )


def _group_scope_q(user, at=None) -> Q:
    """Proposals whose group business ``user`` may read: the author (or who entered it),
    the group's verified residents and council, community staff and supervisors in scope."""
    at = at or timezone.now()
    resident_groups = Residency.objects.current(at).filter(user=user, verified_at__isnull=False).values("group")
    council_groups = (
        Seat.objects.current(at).filter(user=user, council__kind=CouncilKind.GROUP).values("council__group")
    )
    communities = policies.communities_in_scope(user, at).values("pk")
    return (
        Q(author=user)
        | Q(entered_by=user)
        | Q(group__in=resident_groups)
        | Q(group__in=council_groups)
        | Q(group__community__in=communities)
    )


def proposals_visible_to(user, *, at=None):
    """Proposals ``user`` may see: public states for everyone (anonymous too); drafts and
    group review (and withdrawn drafts) only for the group's people and those in scope.

    Joined for list pages: group, community, subdistrict, author.
    """
    qs = Proposal.objects.select_related("group__community__subdistrict", "author")
    if not _authenticated(user):
        return qs.filter(public_q())
    if user.is_superuser:
        return qs
    return qs.filter(public_q() | _group_scope_q(user, at))


def can_view_proposal(user, proposal: Proposal) -> bool:
    return proposals_visible_to(user).filter(pk=proposal.pk).exists()


def proposal_detail(pk, *, user=None) -> Proposal:
    """One proposal with everything its page shows, in a fixed number of queries.

    With ``user``, only a proposal visible to them (else ``Http404``: outside
    scope answers 404). Prefetched: lines, resolutions, notices with their
    objections, ballots with council, holds, opinions, agenda items with
    meetings, and the timeline with actors.
    """
    base = proposals_visible_to(user) if user is not None else Proposal.objects.select_related(
        "group__community__subdistrict", "author"
    )
    qs = base.select_related("entered_by").prefetch_related(
        "lines",
        Prefetch("resolutions", queryset=Resolution.objects.order_by("number")),
        Prefetch(
            "notices",
            queryset=Notice.objects.select_related("resolution", "published_by").prefetch_related(
                Prefetch(
                    "objections",
                    queryset=Objection.objects.select_related("resident", "answered_by", "recorded_by"),
                )
            ).order_by("-published_at"),
        ),
        Prefetch(
            "ballots",
            queryset=Ballot.objects.select_related("council", "resolution", "opened_by", "closed_by").order_by(
                "-opened_at"
            ),
        ),
        Prefetch("holds", queryset=Hold.objects.select_related("placed_by", "lifted_by").order_by("-placed_at")),
        Prefetch("opinions", queryset=Opinion.objects.select_related("supervisor").order_by("created_at")),
        Prefetch(
            "agenda_items",
            queryset=AgendaItem.objects.select_related("meeting__council").order_by("meeting__held_at"),
        ),
        Prefetch("events", queryset=_timeline_qs()),
    )
    return get_object_or_404(qs, pk=pk)


def _timeline_qs():
    return ProposalEvent.objects.select_related("actor", "on_behalf_of").order_by("seq")


def timeline(proposal: Proposal):
    """The proposal's events in order, with who acted and on whose behalf (R14)."""
    return _timeline_qs().filter(proposal=proposal)


def ballots_for_elector(user, *, open_only: bool = False):
    """Ballots on which ``user`` is in the frozen electorate (R7), newest first.

    Annotated with ``my_choice`` (the vote cast, or None) and ``votes_cast``.
    """
    if not _authenticated(user):
        return Ballot.objects.none()
    my_vote = Vote.objects.filter(ballot=OuterRef("pk"), voter=user).values("choice")[:1]
    qs = (
        Ballot.objects.filter(Exists(BallotElector.objects.filter(ballot=OuterRef("pk"), user=user)))
        .select_related("proposal__group__community", "council", "resolution")
        .annotate(my_choice=Subquery(my_vote), votes_cast=Count("votes"))
        .order_by("closed_at", "-opened_at")  # open ballots (closed_at null) first
    )
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return qs


def ballot_votes(ballot: Ballot):
    """Named votes of a ballot (supervisors and members in scope read them; R11)."""
    return ballot.votes.select_related("voter", "recorded_by").order_by("cast_at")


def open_notices_for_group(group, *, at=None):
    """Notices of ``group`` running now (R5), soonest to end first, with objection counts."""
    at = at or timezone.now()
    return (
        Notice.objects.filter(
            proposal__group=group, voided_at__isnull=True, published_at__lte=at, ends_at__gt=at
        )
        .select_related("proposal", "resolution")
        .annotate(
            objection_count=Count("objections"),
            unanswered_count=Count("objections", filter=Q(objections__answered_at__isnull=True)),
        )
        .order_by("ends_at")
    )


def review_queue_for(user, *, at=None, statuses=(S.GROUP_REVIEW,)):
    """Proposals waiting for the group council(s) ``user`` sits on, oldest change first.

    Defaults to GROUP_REVIEW; pass ``statuses`` to include e.g. ADOPTED (notice to
    publish) and NOTICE (objections to answer). Annotated with ``open_group_ballot``
    (id or None) and ``unanswered_objections``.
    """
    if not _authenticated(user):
        return Proposal.objects.none()
    at = at or timezone.now()
    council_groups = (
        Seat.objects.current(at).filter(user=user, council__kind=CouncilKind.GROUP).values("council__group")
    )
    open_ballot = Ballot.objects.filter(
        proposal=OuterRef("pk"), kind=BallotKind.GROUP, closed_at__isnull=True
    ).values("pk")[:1]
    unanswered = (
        Objection.objects.filter(
            notice__proposal=OuterRef("pk"), notice__voided_at__isnull=True, answered_at__isnull=True
        )
        .order_by()
        .values("notice__proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Proposal.objects.filter(group__in=council_groups, status__in=list(statuses))
        .select_related("group__community", "author")
        .annotate(open_group_ballot=Subquery(open_ballot), unanswered_objections=Subquery(unanswered))
        .order_by("updated_at")
    )


def roadshow_for(proposal: Proposal) -> dict | None:
    """路演 for the community ballot page: the latest recorded presentation of ``proposal`` at a
    community-council meeting with its questions, and the owners' views counted from the record
    (residents following it, the group council's adopting vote, objections and their answers).
    Four queries whatever the number of questions or objections."""
    item = (
        AgendaItem.objects.filter(
            proposal=proposal, meeting__council__kind=CouncilKind.COMMUNITY, presented_at__isnull=False
        )
        .select_related("presenter", "meeting")
        .prefetch_related(Prefetch("questions", queryset=RoadshowQuestion.objects.select_related("asked_by")))
        .order_by("-meeting__held_at", "-pk")
        .first()
    )
    if item is None:
        return None
    group_ballot = (
        Ballot.objects.filter(proposal=proposal, kind=BallotKind.GROUP, outcome="passed")
        .order_by("-closed_at").values("approve_count", "oppose_count", "abstain_count").first()
    )
    objections = Objection.objects.filter(notice__proposal=proposal).aggregate(
        n_filed=Count("pk"),
        n_answered=Count("pk", filter=Q(answered_at__isnull=False)),
        n_upheld=Count("pk", filter=Q(upheld=True)),
        n_dismissed=Count("pk", filter=Q(upheld=False)),
    )
    objections = {k.removeprefix("n_"): v for k, v in objections.items()}
    return {
        "item": item,
        "questions": list(item.questions.all()),
        "followers": proposal.followers.count(),
        "group_ballot": group_ballot,
        "objections": objections,
    }

