"""R20: elections of a group council or a supervisory board, counted by the rules.

Each boundary has a test on either side: half of the roll voting is invalid, one more is
valid; exactly half of the ballots does not elect, one more does; in a runoff exactly one
third elects, less does not; a tie at the last seat goes to a runoff with everyone tied.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from councils.models import BoardSeat, Seat
from councils.services import residency_verify
from elections import services as es
from elections.counting import count_round
from elections.enums import CandidateResult, ElectionStatus, VoteMethod
from elections.models import BallotPaper, Candidate, ElectionEvent, ElectionVoter
from tests.election_support import after_voting, cast_all, close, open_election, roll_users, voting
from tests.factories import UserFactory, build_world, make_resident
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten():
    """A group of 10 verified residents: the 5 sitting council members and 5 more."""
    return build_world(group_seats=5, residents=5, community_seats=3)


# --------------------------------------------------------------------------- the count, as a function


def test_r20_count_exactly_half_of_roll_is_invalid():
    assert not count_round(votes={1: 5}, ballots_cast=5, roll_size=10, seats=1, runoff=False).valid
    assert count_round(votes={1: 6}, ballots_cast=6, roll_size=10, seats=1, runoff=False).valid


def test_r20_count_exactly_half_of_ballots_not_elected():
    result = count_round(votes={1: 3, 2: 4}, ballots_cast=6, roll_size=10, seats=2, runoff=False)
    assert result.elected == [2]
    assert result.runoff == [1]


def test_r20_count_runoff_one_third_bound():
    assert count_round(votes={1: 2, 2: 1}, ballots_cast=6, roll_size=10, seats=1, runoff=True).elected == [1]
    assert count_round(votes={1: 2, 2: 1}, ballots_cast=7, roll_size=10, seats=1, runoff=True).elected == []


def test_r20_count_tie_at_last_seat_goes_to_runoff_with_all_tied():
    result = count_round(votes={1: 8, 2: 8, 3: 5, 4: 5, 5: 0}, ballots_cast=8, roll_size=10, seats=3, runoff=False)
    assert result.elected == [1, 2]
    assert result.runoff == [3, 4]


def test_r20_count_runoff_cutoff_includes_ties():
    # One seat left: twice that is 2 candidates, but the 2nd and 3rd are tied, so 3 go on.
    result = count_round(votes={1: 9, 2: 9, 3: 3, 4: 2, 5: 2, 6: 1}, ballots_cast=9, roll_size=10, seats=3,
                         runoff=False)
    assert result.elected == [1, 2]
    assert sorted(result.runoff) == [3, 4, 5]


# --------------------------------------------------------------------------- opening and nominating


def test_r20_open_refuses_fewer_than_three_council_seats(ten):
    now = timezone.now()
    with pytest.raises(DomainError, match="至少"):
        es.election_open(target=ten.group_council, actor=ten.staff, seats=2, nominations_close=now + timedelta(1),
                         opens_at=now + timedelta(2), closes_at=now + timedelta(3))


def test_r20_open_only_by_community_staff(ten):
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        es.election_open(target=ten.group_council, actor=ten.residents[0], seats=3,
                         nominations_close=now + timedelta(1), opens_at=now + timedelta(2),
                         closes_at=now + timedelta(3))


def test_r20_one_running_election_per_council(ten):
    open_election(ten)
    with pytest.raises(DomainError, match="正在进行"):
        open_election(ten, candidates=0)


def test_r20_self_nomination_needs_three_supporters(ten):
    election, _ = open_election(ten, candidates=0)
    me, *others = ten.residents
    with pytest.raises(DomainError, match="3"):
        es.candidate_nominate(election=election, candidate=me, actor=me, supporters=others[:2])
    assert not Candidate.objects.filter(election=election).exists()
    row = es.candidate_nominate(election=election, candidate=me, actor=me, supporters=others[:3])
    assert row.supporters.count() == 3


def test_r20_resident_cannot_nominate_someone_else(ten):
    election, _ = open_election(ten, candidates=0)
    with pytest.raises(PermissionDenied):
        es.candidate_nominate(election=election, candidate=ten.residents[1], actor=ten.residents[0],
                              supporters=ten.residents[2:5])


def test_r20_candidate_must_be_verified_resident_of_group(ten):
    election, _ = open_election(ten, candidates=0)
    stranger = UserFactory()
    with pytest.raises(DomainError, match="核实居民"):
        es.candidate_nominate(election=election, candidate=stranger, actor=ten.staff)


def test_r20_r2_supervisor_cannot_stand_for_council(ten):
    election, _ = open_election(ten, candidates=0)
    make_resident(ten.group, username="sup-res")
    sup = ten.supervisor
    from councils.models import Residency

    Residency.objects.create(user=sup, group=ten.group, verified_at=timezone.now(), starts_at=timezone.now())
    with pytest.raises(DomainError, match="监督人员"):
        es.candidate_nominate(election=election, candidate=sup, actor=ten.staff)


def test_r20_nominations_close_at_deadline(ten):
    election, _ = open_election(ten, candidates=0)
    with voting(election):
        with pytest.raises(DomainError, match="截止"):
            es.candidate_nominate(election=election, candidate=ten.residents[0], actor=ten.staff)


def test_r20_contested_needs_more_candidates_than_seats(ten):
    election, _ = open_election(ten, seats=3, candidates=3)
    with voting(election):
        with pytest.raises(DomainError, match="候选人人数不足"):
            es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[])
        es.election_roll_freeze(election=election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.CANCELLED
    assert not ElectionVoter.objects.filter(election=election).exists()


def test_r20_uncontested_allows_as_many_candidates_as_seats(ten):
    election, people = open_election(ten, seats=3, candidates=3, uncontested=True)
    cast_all(election, [(v, people) for v in roll_users(ten)[:6]])
    close(election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COMPLETED


# --------------------------------------------------------------------------- the roll and the ballot


def test_r20_roll_frozen_at_opening(ten):
    election, people = open_election(ten)
    newcomer = UserFactory(full_name="新住户")
    with voting(election):
        # Verified after voting opened, before anyone voted (the roll is made lazily).
        residency_verify(resident=newcomer, group=ten.group, actor=ten.staff)
        es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[])
        with pytest.raises(DomainError, match="不在本次推选的选民名册上"):
            es.election_ballot_cast(election=election, voter=newcomer, choices=[])
    assert ElectionVoter.objects.filter(election=election).count() == 10
    assert BallotPaper.objects.filter(election=election).count() == 1


def test_r20_no_ballot_before_or_after_window(ten):
    election, people = open_election(ten)
    with pytest.raises(DomainError, match="开始"):
        es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[])
    with after_voting(election):
        with pytest.raises(DomainError, match="截止"):
            es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[])
    assert not BallotPaper.objects.exists()


def test_r20_more_marks_than_seats_refused(ten):
    election, people = open_election(ten, seats=3, candidates=4)
    voter = ten.residents[4]
    with voting(election):
        with pytest.raises(DomainError, match="最多可以选 3 人"):
            es.election_ballot_cast(election=election, voter=voter, choices=people)
        assert not ElectionVoter.objects.filter(election=election, user=voter, voted=True).exists()
        assert not BallotPaper.objects.exists()
        # The same voter may still vote properly.
        es.election_ballot_cast(election=election, voter=voter, choices=people[:3])


def test_r20_choices_must_be_candidates_of_the_round(ten):
    election, people = open_election(ten)
    with voting(election):
        with pytest.raises(DomainError, match="候选人"):
            es.election_ballot_cast(election=election, voter=ten.residents[4], choices=[ten.residents[4]])
        with pytest.raises(DomainError, match="只能选一次"):
            es.election_ballot_cast(election=election, voter=ten.residents[4], choices=[people[0], people[0]])


def test_r20_one_ballot_per_voter(ten):
    election, people = open_election(ten)
    voter = ten.residents[4]
    with voting(election):
        es.election_ballot_cast(election=election, voter=voter, choices=[people[0]])
        with pytest.raises(DomainError, match="已经投过票"):
            es.election_ballot_cast(election=election, voter=voter, choices=[people[1]])
    assert BallotPaper.objects.count() == 1


def test_r20_blank_ballot_counts_as_cast(ten):
    election, people = open_election(ten)
    voters = roll_users(ten)[:6]
    cast_all(election, [(voters[0], [people[0]])] + [(v, []) for v in voters[1:]])
    close(election)
    round_ = election.rounds.get(number=1)
    assert (round_.ballots_cast, round_.blank_ballots, round_.valid) == (6, 5, True)
    # 1 of 6 is not more than half: blank ballots count in the denominator.
    assert Candidate.objects.get(election=election, user=people[0]).result != CandidateResult.ELECTED


def test_r20_paper_ballot_marks_roll_with_box(ten):
    election, people = open_election(ten)
    voter = ten.residents[3]
    with voting(election):
        entry = es.election_paper_ballot(election=election, voter=voter, choices=people[:2], actor=ten.staff, box="2")
    assert (entry.voted, entry.method, entry.box, entry.recorded_by) == (True, VoteMethod.PAPER, "2", ten.staff)
    assert BallotPaper.objects.get(election=election).choices == sorted(
        Candidate.objects.filter(user__in=people[:2]).values_list("pk", flat=True)
    )


def test_r20_paper_ballot_for_online_voter_refused(ten):
    election, people = open_election(ten)
    voter = ten.residents[3]
    with voting(election):
        es.election_ballot_cast(election=election, voter=voter, choices=[people[0]])
        with pytest.raises(DomainError, match="已经在网上投票"):
            es.election_paper_ballot(election=election, voter=voter, choices=[people[1]], actor=ten.staff, box="1")
    entry = ElectionVoter.objects.get(election=election, user=voter)
    assert (entry.method, entry.box) == (VoteMethod.ONLINE, "")
    assert BallotPaper.objects.count() == 1


def test_r20_paper_ballot_only_by_staff_with_box(ten):
    election, people = open_election(ten)
    with voting(election):
        with pytest.raises(PermissionDenied):
            es.election_paper_ballot(election=election, voter=ten.residents[3], choices=[], actor=ten.residents[0],
                                     box="1")
        with pytest.raises(DomainError, match="票箱号"):
            es.election_paper_ballot(election=election, voter=ten.residents[3], choices=[], actor=ten.staff, box=" ")
    assert not BallotPaper.objects.exists()


# --------------------------------------------------------------------------- counting and seating


def test_r20_exactly_half_of_roll_voting_is_invalid(ten):
    election, people = open_election(ten)
    cast_all(election, [(v, people[:3]) for v in roll_users(ten)[:5]])
    close(election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.INVALID
    assert not Candidate.objects.filter(election=election, result=CandidateResult.ELECTED).exists()
    # The sitting council keeps its seats.
    assert Seat.objects.current().filter(council=ten.group_council).count() == 5


def test_r20_more_than_half_of_roll_voting_is_valid(ten):
    election, people = open_election(ten)
    cast_all(election, [(v, people[:3]) for v in roll_users(ten)[:6]])
    close(election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COMPLETED


def test_r20_candidate_with_exactly_half_of_ballots_not_elected(ten):
    election, (a, b, c, d) = open_election(ten, seats=3, candidates=4)
    voters = roll_users(ten)[:6]
    # a, b: 6 of 6; c: exactly 3 of 6; d: 0.
    ballots = [(v, [a, b, c]) for v in voters[:3]] + [(v, [a, b]) for v in voters[3:]]
    cast_all(election, ballots)
    close(election)
    results = dict(Candidate.objects.filter(election=election).values_list("user_id", "result"))
    assert results[a.pk] == results[b.pk] == CandidateResult.ELECTED
    assert results[c.pk] == results[d.pk] == CandidateResult.RUNOFF
    election.refresh_from_db()
    assert election.status == ElectionStatus.AWAITING_RUNOFF
    # Nobody is seated until every seat is filled.
    assert Seat.objects.current().filter(council=ten.group_council).count() == 5


def test_r20_candidate_with_one_more_than_half_is_elected(ten):
    election, (a, b, c, d) = open_election(ten, seats=3, candidates=4)
    voters = roll_users(ten)[:6]
    ballots = [(v, [a, b, c]) for v in voters[:4]] + [(v, [a, b]) for v in voters[4:]]
    cast_all(election, ballots)
    close(election)
    assert Candidate.objects.get(election=election, user=c).result == CandidateResult.ELECTED


def _to_runoff(world):
    """a, b elected; c (3 of 6) and d go to a runoff for the last seat."""
    election, (a, b, c, d) = open_election(world, seats=3, candidates=4)
    voters = roll_users(world)[:6]
    cast_all(election, [(v, [a, b, c]) for v in voters[:3]] + [(v, [a, b]) for v in voters[3:]])
    close(election)
    with after_voting(election):
        es.election_runoff_open(election=election, actor=world.staff, closes_at=timezone.now() + timedelta(days=2))
    election.refresh_from_db()
    return election, (a, b, c, d)


def test_r20_runoff_one_third_of_ballots_elects(ten):
    election, (a, b, c, d) = _to_runoff(ten)
    voters = roll_users(ten)
    # 6 ballots: c 2 (exactly one third), d 1, 3 blank.
    cast_all(election, [(voters[0], [c]), (voters[1], [c]), (voters[2], [d])] + [(v, []) for v in voters[3:6]])
    close(election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COMPLETED
    assert Candidate.objects.get(election=election, user=c).elected_round == 2
    seated = set(Seat.objects.current(election.finished_at).filter(council=ten.group_council).values_list("user_id", flat=True))
    assert seated == {a.pk, b.pk, c.pk}


def test_r20_runoff_below_one_third_elects_nobody(ten):
    election, (a, b, c, d) = _to_runoff(ten)
    voters = roll_users(ten)
    # 7 ballots: c 2 (less than a third of 7), d 1, 4 blank.
    cast_all(election, [(voters[0], [c]), (voters[1], [c]), (voters[2], [d])] + [(v, []) for v in voters[3:7]])
    close(election)
    election.refresh_from_db()
    assert election.status == ElectionStatus.AWAITING_RUNOFF
    assert not Candidate.objects.filter(election=election, user__in=[c, d], result=CandidateResult.ELECTED).exists()


def test_r20_runoff_marks_at_most_seats_left(ten):
    election, (a, b, c, d) = _to_runoff(ten)
    with voting(election):
        with pytest.raises(DomainError, match="最多可以选 1 人"):
            es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[c, d])
        with pytest.raises(DomainError, match="本轮的候选人"):
            es.election_ballot_cast(election=election, voter=ten.residents[0], choices=[a])


def test_r20_runoff_keeps_first_round_roll(ten):
    election, _ = _to_runoff(ten)
    newcomer = UserFactory()
    residency_verify(resident=newcomer, group=ten.group, actor=ten.staff)
    rounds = list(election.rounds.order_by("number"))
    first = set(ElectionVoter.objects.filter(round=rounds[0]).values_list("user_id", flat=True))
    second = set(ElectionVoter.objects.filter(round=rounds[1]).values_list("user_id", flat=True))
    assert first == second and newcomer.pk not in second


def test_r20_tied_candidates_at_last_seat_both_in_runoff(ten):
    election, (a, b, c, d) = open_election(ten, seats=3, candidates=4)
    voters = roll_users(ten)[:10]
    # 10 ballots: a, b on all; c 6, d 6 (both more than half), tied for the last seat.
    ballots = ([(v, [a, b, c]) for v in voters[:4]] + [(v, [a, b, d]) for v in voters[4:8]]
               + [(v, [c, d]) for v in voters[8:10]])
    cast_all(election, ballots)
    close(election)
    results = dict(Candidate.objects.filter(election=election).values_list("user_id", "result"))
    assert results[a.pk] == results[b.pk] == CandidateResult.ELECTED
    assert results[c.pk] == results[d.pk] == CandidateResult.RUNOFF


def test_r20_winners_seated_with_term_and_old_seats_ended(ten):
    election, people = open_election(ten, seats=3, candidates=4)
    old_members = list(ten.group_members)
    cast_all(election, [(v, people[1:4]) for v in roll_users(ten)[:6]])
    close(election)
    election.refresh_from_db()
    seats = list(Seat.objects.current(election.finished_at).filter(council=ten.group_council))
    assert {s.user_id for s in seats} == {p.pk for p in people[1:4]}
    for s in seats:
        assert s.assigned_by == ten.staff
        assert s.ends_at.year - s.starts_at.year == 5
    ended = Seat.objects.filter(council=ten.group_council, user__in=old_members, ends_at=election.finished_at)
    assert ended.count() == 5


def test_r20_reelected_convener_keeps_role(ten):
    election, people = open_election(ten, seats=3, candidates=4)
    assert people[0] == ten.group_members[0]  # the factory's convener
    cast_all(election, [(v, people[:3]) for v in roll_users(ten)[:6]])
    close(election)
    election.refresh_from_db()
    roles = dict(Seat.objects.current(election.finished_at).filter(council=ten.group_council)
                 .values_list("user_id", "role"))
    assert roles == {people[0].pk: "chair", people[1].pk: "member", people[2].pk: "member"}


def test_r20_close_is_idempotent_and_refused_before_due(ten):
    election, people = open_election(ten)
    with voting(election):
        with pytest.raises(DomainError, match="截止前"):
            es.election_close(election=election, actor=None)
        with pytest.raises(DomainError, match="截止前"):
            es.election_close(election=election, actor=ten.staff)
    cast_all(election, [(v, people[:3]) for v in roll_users(ten)[:6]])
    close(election)
    events = ElectionEvent.objects.count()
    seats = Seat.objects.count()
    close(election)
    close(election, actor=ten.staff)
    assert (ElectionEvent.objects.count(), Seat.objects.count()) == (events, seats)


def test_r20_staff_may_count_early_when_everyone_voted():
    world = build_world(group_seats=3, residents=1, community_seats=3)
    election, people = open_election(world, seats=3, candidates=4)
    with voting(election):
        for v in roll_users(world):
            es.election_ballot_cast(election=election, voter=v, choices=people[:3])
        es.election_close(election=election, actor=world.staff)
    election.refresh_from_db()
    assert election.status == ElectionStatus.COMPLETED


def test_r20_job_freezes_and_counts(ten):
    from elections.tasks import tend_elections

    election, people = open_election(ten)
    with voting(election):
        assert tend_elections() == {"frozen": [election.pk], "counted": []}
        assert tend_elections() == {"frozen": [], "counted": []}
        for v in roll_users(ten)[:6]:
            es.election_ballot_cast(election=election, voter=v, choices=people[:3])
    with after_voting(election):
        assert tend_elections() == {"frozen": [], "counted": [election.pk]}
        assert tend_elections() == {"frozen": [], "counted": []}
    election.refresh_from_db()
    assert election.status == ElectionStatus.COMPLETED


def test_r20_r2_council_member_cannot_stand_for_board(ten):
    election, _ = open_election(ten, seats=1, candidates=0, target=ten.board)
    with pytest.raises(DomainError, match="不能当选监督人员"):
        es.candidate_nominate(election=election, candidate=ten.group_members[0], actor=ten.staff)
    assert not Candidate.objects.exists()


def test_r20_board_election_elects_resident(ten):
    now = timezone.now()
    election = es.election_open(target=ten.board, actor=ten.staff, seats=1, nominations_close=now + timedelta(1),
                                opens_at=now + timedelta(2), closes_at=now + timedelta(3))
    r1, r2 = ten.residents[:2]
    for r in (r1, r2):
        es.candidate_nominate(election=election, candidate=r, actor=ten.staff)
    cast_all(election, [(v, [r1]) for v in roll_users(ten)[:6]])
    close(election)
    election.refresh_from_db()
    seat = BoardSeat.objects.current(election.finished_at).get(board=ten.board)
    assert seat.user == r1 and seat.ends_at is not None
    assert not BoardSeat.objects.current(election.finished_at).filter(user=ten.supervisor).exists()
