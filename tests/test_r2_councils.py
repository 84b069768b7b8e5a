"""R2: councils have enough seated members; supervisors hold no seat or staff post in the same community."""

from datetime import timedelta

import pytest
from django.utils import timezone

from councils import policies
from councils import services as cs
from councils.enums import StaffLevel
from councils.models import BoardSeat, Residency, Seat, StaffPost, SupervisoryBoard
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.factories import (
    CommunityFactory,
    UserFactory,
    build_world,
    make_resident,
    to_group_review,
)
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def test_r2_group_ballot_needs_three_seated_members(db):
    world = build_world(group_seats=2)
    proposal = to_group_review(world)
    events = proposal.events.count()
    with pytest.raises(DomainError) as refused:
        ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                             closes_at=timezone.now() + timedelta(days=2))
    assert "至少要有 3 名" in str(refused.value) and "只有 2 名" in str(refused.value)
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW and proposal.events.count() == events
    assert not proposal.ballots.exists()


def test_r2_group_ballot_opens_with_three_seated_members(db):
    world = build_world(group_seats=3)
    proposal = to_group_review(world)
    ballot = ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                                  closes_at=timezone.now() + timedelta(days=2))
    assert ballot.electorate_size == 3


def test_r2_ended_seat_no_longer_counts_towards_three(db):
    world = build_world(group_seats=3)
    proposal = to_group_review(world)
    seat = world.group_council.seats.get(user=world.group_members[2])
    seat.starts_at = timezone.now() - timedelta(days=30)
    seat.save(update_fields=["starts_at"])
    cs.seat_end(seat=seat, actor=world.staff)
    events = proposal.events.count()
    with pytest.raises(DomainError):
        ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                             closes_at=timezone.now() + timedelta(days=2))
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW and proposal.events.count() == events
    assert not proposal.ballots.exists()


def test_r2_supervisor_cannot_take_a_council_seat(world):
    # A verified resident of the group, so R2 is the only reason left to refuse.
    Residency.objects.create(user=world.supervisor, group=world.group, verified_at=timezone.now())
    for council in (world.group_council, world.community_council):
        with pytest.raises(DomainError) as refused:
            cs.seat_assign(council=council, user=world.supervisor, actor=world.staff)
        assert "监督人员" in str(refused.value)
    assert not Seat.objects.filter(user=world.supervisor).exists()


def test_r2_subdistrict_supervisor_cannot_take_a_seat_in_its_communities(world):
    board = SupervisoryBoard.objects.create(name="街道纪工委", subdistrict=world.subdistrict)
    inspector = UserFactory()
    cs.board_seat_assign(board=board, user=inspector, actor=world.street_staff, title="discipline")
    world.community.council_size = 40
    world.community.save(update_fields=["council_size"])
    with pytest.raises(DomainError):
        cs.seat_assign(council=world.community_council, user=inspector, actor=world.staff)
    assert not Seat.objects.filter(user=inspector).exists()


def test_r2_supervisor_cannot_take_a_staff_post(world):
    for level, community in ((StaffLevel.COMMUNITY, world.community), (StaffLevel.SUBDISTRICT, None)):
        with pytest.raises(DomainError):
            cs.staff_post_assign(user=world.supervisor, actor=world.street_staff, level=level,
                                 subdistrict=world.subdistrict, community=community)
    assert not StaffPost.objects.filter(user=world.supervisor).exists()


def test_r2_council_member_cannot_become_a_supervisor(world):
    for member in (world.group_members[0], world.community_members[0]):
        with pytest.raises(DomainError) as refused:
            cs.board_seat_assign(board=world.board, user=member, actor=world.staff)
        assert "不能同时担任监督人员" in str(refused.value)
    assert BoardSeat.objects.filter(board=world.board).count() == 1


def test_r2_community_staff_cannot_become_a_supervisor(world):
    with pytest.raises(DomainError):
        cs.board_seat_assign(board=world.board, user=world.staff, actor=world.street_staff)
    assert not BoardSeat.objects.filter(user=world.staff).exists()


def test_r2_street_staff_cannot_supervise_a_community_of_their_subdistrict(world):
    with pytest.raises(DomainError):
        cs.board_seat_assign(board=world.board, user=world.street_staff, actor=world.staff)
    assert not BoardSeat.objects.filter(user=world.street_staff).exists()


def test_r2_conflict_is_per_community(world):
    elsewhere = CommunityFactory(subdistrict=world.subdistrict)
    board = SupervisoryBoard.objects.create(name="别处监事会", community=elsewhere)
    other_staff = UserFactory()
    StaffPost.objects.create(user=other_staff, level=StaffLevel.COMMUNITY, subdistrict=world.subdistrict,
                             community=elsewhere)
    # A member of this community's council may supervise another community.
    member = world.community_members[0]
    seat = cs.board_seat_assign(board=board, user=member, actor=other_staff)
    assert policies.is_supervisor_of(member, elsewhere)
    assert not policies.is_supervisor_of(member, world.community)
    assert seat.board == board


def test_r2_only_staff_assign_seats(world):
    newcomer = make_resident(world.group)
    with pytest.raises(PermissionDenied):
        cs.seat_assign(council=world.group_council, user=newcomer, actor=world.group_members[0])
    assert not Seat.objects.filter(user=newcomer).exists()


def test_r2_group_council_members_must_be_residents_of_the_group(world):
    outsider = UserFactory()
    with pytest.raises(DomainError):
        cs.seat_assign(council=world.group_council, user=outsider, actor=world.staff)
    assert not Seat.objects.filter(user=outsider).exists()


def test_r2_community_council_holds_at_most_its_size(world):
    newcomer = UserFactory()
    with pytest.raises(DomainError) as refused:
        cs.seat_assign(council=world.community_council, user=newcomer, actor=world.staff)
    assert "37" in str(refused.value)
    assert not Seat.objects.filter(user=newcomer).exists()


def test_r2_no_overlapping_seats_on_one_council(world):
    member = world.group_members[1]
    Seat.objects.filter(user=member, council=world.group_council).update(
        ends_at=timezone.now() + timedelta(days=365)
    )
    with pytest.raises(DomainError):
        cs.seat_assign(council=world.group_council, user=member, actor=world.staff)
    assert Seat.objects.filter(user=member, council=world.group_council).count() == 1
    # A term that starts after the first ends is fine.
    later = cs.seat_assign(council=world.group_council, user=member, actor=world.staff,
                           starts_at=timezone.now() + timedelta(days=366))
    assert later.pk


def test_r2_seats_have_terms(world):
    newcomer = make_resident(world.group)
    start = timezone.now()
    seat = cs.seat_assign(council=world.group_council, user=newcomer, actor=world.staff,
                          starts_at=start, ends_at=start + timedelta(days=3 * 365))
    assert policies.is_group_council_member(newcomer, world.group)
    assert not policies.is_group_council_member(newcomer, world.group, at=seat.ends_at)
    with pytest.raises(DomainError):
        cs.seat_assign(council=world.group_council, user=make_resident(world.group), actor=world.staff,
                       starts_at=start, ends_at=start)


def test_r2_meeting_records_expected_and_present(world):
    held = timezone.now() - timedelta(hours=2)
    from tests.factories import backdate_memberships

    backdate_memberships(world)
    meeting = cs.meeting_record(council=world.group_council, held_at=held, attendees=world.group_members[:4],
                                minutes="讨论后门维修方案。", actor=world.group_members[0])
    assert meeting.expected_count == 5
    assert meeting.attendance.filter(present=True).count() == 4
    with pytest.raises(DomainError):
        cs.meeting_record(council=world.group_council, held_at=held, attendees=[world.residents[0]],
                          minutes="有外人。", actor=world.group_members[0])


def test_r2_overlapping_terms_conflict_not_only_the_start_instant(world):
    """A supervisor whose board term starts next month cannot take an open-ended seat now."""
    future_supervisor = make_resident(world.group)
    BoardSeat.objects.create(board=world.board, user=future_supervisor,
                             starts_at=timezone.now() + timedelta(days=30))
    with pytest.raises(DomainError):
        cs.seat_assign(council=world.group_council, user=future_supervisor, actor=world.staff)
    # A seat that ends before the board term starts is fine.
    seat = cs.seat_assign(council=world.group_council, user=future_supervisor, actor=world.staff,
                          ends_at=timezone.now() + timedelta(days=29))
    assert seat.pk
