"""Who may see what: one membership snapshot per request, so pages do a fixed number of queries.

``Viewer`` reads the user's current residency, seats, staff posts and board
seats once (4 queries) and answers every scope question in memory. The rules
are those of ``councils.policies`` (memberships in force now, in their scope);
the services check them again under their locks before changing anything.

Which proposals a user may read is ``proposals.selectors.proposals_visible_to``
(public states for everyone; drafts and group review for the group's people and
those in scope). Anything else answers 404; an action the role does not allow
answers 403.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.http import Http404
from django.utils import timezone

from councils.enums import CouncilKind, StaffLevel
from councils.models import BoardSeat, Residency, Seat, StaffPost
from proposals import selectors
from proposals.enums import ProposalStatus as S
from proposals.models import Proposal

PRIVATE_STATUSES = (S.DRAFT, S.GROUP_REVIEW)
public_q = selectors.public_q


@dataclass
class Viewer:
    user: object
    residency_group_id: int | None = None
    residency_community_id: int | None = None
    seats: list = field(default_factory=list)  # (council_id, kind, community_id, group_id)
    staff_community_ids: set = field(default_factory=set)
    street_subdistrict_ids: set = field(default_factory=set)
    board_community_ids: set = field(default_factory=set)
    board_subdistrict_ids: set = field(default_factory=set)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user and self.user.is_authenticated)

    @property
    def is_superuser(self) -> bool:
        return self.is_authenticated and self.user.is_superuser

    # ------------------------------------------------------------------ memberships
    @cached_property
    def council_ids(self) -> set:
        return {c for c, _k, _cm, _g in self.seats}

    @cached_property
    def group_council_group_ids(self) -> set:
        return {g for _c, k, _cm, g in self.seats if k == CouncilKind.GROUP}

    @cached_property
    def community_council_community_ids(self) -> set:
        return {cm for _c, k, cm, _g in self.seats if k == CouncilKind.COMMUNITY}

    def is_resident_of(self, group_id) -> bool:
        return self.residency_group_id is not None and self.residency_group_id == group_id

    def is_group_council_member(self, group_id) -> bool:
        return group_id in self.group_council_group_ids

    def is_seated(self, council_id) -> bool:
        return council_id in self.council_ids

    def is_staff_of(self, community_id) -> bool:
        return self.is_superuser or community_id in self.staff_community_ids

    def is_supervisor_of(self, community_id, subdistrict_id) -> bool:
        return community_id in self.board_community_ids or subdistrict_id in self.board_subdistrict_ids

    def is_street_staff_of(self, subdistrict_id) -> bool:
        return self.is_superuser or subdistrict_id in self.street_subdistrict_ids

    def touches_community(self, community_id, subdistrict_id) -> bool:
        """Any membership in the community (or its subdistrict): used to tell 403 from 404."""
        return (
            self.residency_community_id == community_id
            or any(cm == community_id for _c, _k, cm, _g in self.seats)
            or self.is_staff_of(community_id)
            or self.is_supervisor_of(community_id, subdistrict_id)
            or self.is_street_staff_of(subdistrict_id)
        )

    # ------------------------------------------------------------------ proposals
    def is_author(self, proposal) -> bool:
        return self.is_authenticated and self.user.pk in (proposal.author_id, proposal.entered_by_id)

    def sees_names(self, proposal) -> bool:
        """Named people (objectors, actors, roll-call) are shown to the group and to those in scope only."""
        if not self.is_authenticated:
            return False
        group = proposal.group
        community_id = group.community_id
        return (
            self.is_resident_of(group.pk)
            or self.is_group_council_member(group.pk)
            or community_id in self.community_council_community_ids
            or self.is_staff_of(community_id)
            or self.is_supervisor_of(community_id, group.community.subdistrict_id)
            or self.is_street_staff_of(group.community.subdistrict_id)
        )

    # ------------------------------------------------------------------ ballots
    def sees_ballot(self, ballot, *, elector: bool = False) -> bool:
        """The ballot page with its named roll-call: electors, the council, staff and supervisors."""
        if not self.is_authenticated:
            return False
        community = ballot.proposal.group.community
        return (
            elector
            or self.is_seated(ballot.council_id)
            or self.is_staff_of(community.pk)
            or self.is_supervisor_of(community.pk, community.subdistrict_id)
        )


def viewer_for(request) -> Viewer:
    """The request's viewer, built once per request (4 queries when logged in, none otherwise)."""
    cached = getattr(request, "_yishi_viewer", None)
    if cached is not None:
        return cached
    user = request.user
    viewer = Viewer(user=user)
    if user.is_authenticated:
        now = timezone.now()
        residency = (
            Residency.objects.current(now)
            .filter(user=user, verified_at__isnull=False)
            .select_related("group")
            .only("group_id", "group__community_id")
            .first()
        )
        if residency is not None:
            viewer.residency_group_id = residency.group_id
            viewer.residency_community_id = residency.group.community_id
        viewer.seats = [
            (s["council_id"], s["council__kind"], s["council__community_id"], s["council__group_id"])
            for s in Seat.objects.current(now).filter(user=user).values(
                "council_id", "council__kind", "council__community_id", "council__group_id"
            )
        ]
        for post in StaffPost.objects.current(now).filter(user=user).values("level", "community_id", "subdistrict_id"):
            if post["level"] == StaffLevel.COMMUNITY:
                viewer.staff_community_ids.add(post["community_id"])
            else:
                viewer.street_subdistrict_ids.add(post["subdistrict_id"])
        for seat in BoardSeat.objects.current(now).filter(user=user).values(
            "board__community_id", "board__subdistrict_id"
        ):
            if seat["board__community_id"]:
                viewer.board_community_ids.add(seat["board__community_id"])
            if seat["board__subdistrict_id"]:
                viewer.board_subdistrict_ids.add(seat["board__subdistrict_id"])
    request._yishi_viewer = viewer
    return viewer


def proposal_or_404(request, pk: int) -> Proposal:
    """The proposal if this request may read it (one query); 404 otherwise, never saying it exists."""
    proposal = (
        selectors.proposals_visible_to(request.user)
        .select_related("entered_by")
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise Http404
    return proposal
