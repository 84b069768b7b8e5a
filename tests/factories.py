"""factory_boy factories and a small world builder for tests.

``World`` builds one subdistrict with a community, its community council of
``community_seats`` members, a resident group with a group council of
``group_seats`` verified residents, extra residents, staff and a supervisor.
Rows are made directly (fast); the services are what the tests exercise.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import factory
from django.utils import timezone

from councils.enums import BoardTitle, CouncilKind, PostKind, SeatRole, StaffLevel
from councils.models import (
    BoardSeat,
    Community,
    Council,
    Residency,
    ResidentGroup,
    Seat,
    StaffPost,
    Subdistrict,
    SupervisoryBoard,
    User,
)

PASSWORD = "yishi-test-pass"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"居民{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(PASSWORD)


class SubdistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subdistrict

    name = factory.Sequence(lambda n: f"街道{n}")
    slug = factory.Sequence(lambda n: f"street-{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    subdistrict = factory.SubFactory(SubdistrictFactory)
    name = factory.Sequence(lambda n: f"社区{n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    council_size = 37
    notice_days = 7


class ResidentGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentGroup

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"小区{n}")
    slug = factory.Sequence(lambda n: f"group-{n}")


def make_resident(group: ResidentGroup, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Residency.objects.create(user=user, group=group, verified_at=timezone.now(), starts_at=timezone.now())
    return user


def seat(council: Council, user: User, role=SeatRole.MEMBER) -> Seat:
    return Seat.objects.create(council=council, user=user, role=role)


@dataclass
class World:
    subdistrict: Subdistrict
    community: Community
    group: ResidentGroup
    group_council: Council
    community_council: Council
    board: SupervisoryBoard
    group_members: list = field(default_factory=list)
    community_members: list = field(default_factory=list)
    residents: list = field(default_factory=list)
    staff: User | None = None
    street_staff: User | None = None
    supervisor: User | None = None
    party_member: User | None = None

    @property
    def author(self) -> User:
        return self.residents[0]


def build_world(*, group_seats: int = 5, community_seats: int = 37, residents: int = 3,
                prefix: str = "") -> World:
    subdistrict = SubdistrictFactory()
    community = CommunityFactory(subdistrict=subdistrict, council_size=max(community_seats, 3))
    group = ResidentGroupFactory(community=community)
    group_council = Council.objects.create(
        kind=CouncilKind.GROUP, community=community, group=group, name=f"{group.name}议事会"
    )
    community_council = Council.objects.create(
        kind=CouncilKind.COMMUNITY, community=community, name=f"{community.name}议事会"
    )
    board = SupervisoryBoard.objects.create(name=f"{community.name}监事会", community=community)
    world = World(subdistrict, community, group, group_council, community_council, board)
    for n in range(group_seats):
        member = make_resident(group, full_name=f"{prefix}小组成员{n + 1}")
        seat(group_council, member, SeatRole.CHAIR if n == 0 else SeatRole.MEMBER)
        world.group_members.append(member)
    for n in range(community_seats):
        member = UserFactory(full_name=f"{prefix}社区议事员{n + 1}")
        seat(community_council, member)
        world.community_members.append(member)
    world.residents = [make_resident(group, full_name=f"{prefix}居民{n + 1}") for n in range(residents)]
    world.staff = UserFactory(full_name=f"{prefix}社区工作人员")
    StaffPost.objects.create(user=world.staff, level=StaffLevel.COMMUNITY, subdistrict=subdistrict,
                             community=community, title="社区干事")
    world.street_staff = UserFactory(full_name=f"{prefix}街道工作人员")
    StaffPost.objects.create(user=world.street_staff, level=StaffLevel.SUBDISTRICT, subdistrict=subdistrict,
                             title="财务")
    world.supervisor = UserFactory(full_name=f"{prefix}监事")
    BoardSeat.objects.create(board=board, user=world.supervisor, title=BoardTitle.MEMBER)
    # R23: the community party organisation, which proposes and leads acceptance.
    world.party_member = UserFactory(full_name=f"{prefix}党委书记")
    StaffPost.objects.create(user=world.party_member, level=StaffLevel.COMMUNITY, subdistrict=subdistrict,
                             community=community, title="党委书记", kind=PostKind.PARTY)
    return world


BACK_GATE_LINES = [
    ("后门维修", Decimal("1"), "项", Decimal("12000.00")),
    ("消防通道整治", Decimal("1"), "项", Decimal("16000.00")),
    ("围墙防盗刺", Decimal("100"), "米", Decimal("80.00")),
]


# --------------------------------------------------------------------------- workflow helpers
# Drive a proposal through the public services (helper A). They backdate the
# world's memberships first, so a notice can be published in the past and have
# run its full time by "now", leaving the test body in real time.


def backdate_memberships(world: World, days: int = 60) -> None:
    from datetime import timedelta

    since = timezone.now() - timedelta(days=days)
    Residency.objects.filter(group__community=world.community, starts_at__gt=since).update(starts_at=since)
    Seat.objects.filter(council__community=world.community, starts_at__gt=since).update(starts_at=since)
    StaffPost.objects.filter(subdistrict=world.subdistrict, starts_at__gt=since).update(starts_at=since)
    BoardSeat.objects.filter(board=world.board, starts_at__gt=since).update(starts_at=since)


def make_proposal(world: World, *, author: User | None = None, title: str = "北苑后门维修",
                  summary: str = "修后门、消防通道和围墙防盗刺", lines=None, community_share="18000.00", **kwargs):
    from proposals import services as ps

    return ps.proposal_create(
        author=author or world.author, group=world.group, title=title, summary=summary,
        lines=BACK_GATE_LINES if lines is None else lines, community_share=community_share, **kwargs,
    )


def to_group_review(world: World, **kwargs):
    from proposals import services as ps

    proposal = make_proposal(world, **kwargs)
    ps.proposal_submit(proposal=proposal, actor=proposal.author)
    return proposal


def group_adopt(world: World, proposal, *, approvals: int = 3):
    """Open a group ballot, cast ``approvals`` approve votes, close it (decided); returns the ballot."""
    from datetime import timedelta

    from proposals import services as ps

    chair = world.group_members[0]
    ballot = ps.group_ballot_open(proposal=proposal, actor=chair, closes_at=timezone.now() + timedelta(days=2))
    for member in world.group_members[:approvals]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=chair)
    proposal.refresh_from_db()
    return ballot


def to_notice(world: World, **kwargs):
    """A proposal whose notice has just been published (now); returns (proposal, notice)."""
    from proposals import services as ps

    proposal = to_group_review(world, **kwargs)
    group_adopt(world, proposal)
    notice = ps.notice_publish(proposal=proposal, actor=world.group_members[0])
    proposal.refresh_from_db()
    return proposal, notice


def to_submitted(world: World, **kwargs):
    """A proposal whose notice ran its full time in the past and that is now SUBMITTED."""
    from datetime import timedelta

    import time_machine

    from proposals import services as ps

    backdate_memberships(world)
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        proposal, _notice = to_notice(world, **kwargs)
    ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    proposal.refresh_from_db()
    return proposal


def to_community_vote(world: World, *, closes_in=None, **kwargs):
    """A proposal in COMMUNITY_VOTE; returns (proposal, ballot) with the ballot closing in ``closes_in``."""
    from datetime import timedelta

    from proposals import services as ps

    proposal = to_submitted(world, **kwargs)
    ballot = ps.community_ballot_open(
        proposal=proposal, actor=world.staff, closes_at=timezone.now() + (closes_in or timedelta(days=3))
    )
    proposal.refresh_from_db()
    return proposal, ballot
