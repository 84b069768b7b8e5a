"""``manage.py seed_scale``: a valid city at any size (issue 8).

The default size is the benchmark's (scripts/bench.sh); here the ``tiny`` size on whichever
database the run uses (COPY on PostgreSQL, bulk inserts on SQLite), the same on PostgreSQL
explicitly, and a larger city of two subdistricts under the ``slow`` marker.
"""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max, Q

from councils.models import Community, ResidentGroup, Seat, User
from elections.enums import ElectionStatus
from elections.models import Election
from funding.enums import EntryKind
from funding.models import Donation, HistoryRun, LedgerEntry
from grants.models import GrantAward
from needs.enums import NeedStatus
from needs.models import Need, ServiceProject, ServiceRecord
from notifications.models import Notification
from organisations.models import Organisation
from proposals.enums import BallotKind, BallotOutcome
from proposals.enums import ProposalStatus as S
from proposals.models import MAX_OBJECTIONS_PER_NOTICE, Ballot, BallotElector, Objection, Proposal, Vote
from proposals.thresholds import COMMUNITY_TWO_THIRDS, GROUP_MAJORITY

AFTER_COMMUNITY_VOTE = (S.APPROVED, S.FUNDED, S.RELEASED, S.IN_PROGRESS, S.ACCEPTED, S.SETTLED)


def _seed(**options):
    out = StringIO()
    call_command("seed_scale", stdout=out, **options)
    return out.getvalue()


def _verify_history() -> str:
    out = StringIO()
    call_command("verify_history", stdout=out)  # raises CommandError on any difference
    return out.getvalue()


def _assert_rules_hold():
    """The rules, checked directly on the rows rather than through the seeder's own bookkeeping."""
    # R4 / R7: a closed ballot's counts are its votes; passed exactly when its threshold is met,
    # and a passed community ballot has two thirds of ALL its members approving.
    closed = Ballot.objects.filter(closed_at__isnull=False).annotate(
        approve=Count("votes", filter=Q(votes__choice="approve")), cast=Count("votes"),
    )
    assert closed.exists()
    for ballot in closed:
        rule = COMMUNITY_TWO_THIRDS if ballot.kind == BallotKind.COMMUNITY else GROUP_MAJORITY
        assert ballot.approve == ballot.approve_count
        assert ballot.cast == ballot.approve_count + ballot.oppose_count + ballot.abstain_count
        assert rule.passes(approve=ballot.approve, electorate=ballot.electorate_size) == (
            ballot.outcome == BallotOutcome.PASSED
        )
        if ballot.kind == BallotKind.COMMUNITY and ballot.outcome == BallotOutcome.PASSED:
            assert 3 * ballot.approve >= 2 * ballot.electorate_size
    # Every proposal past the community vote had a passed community ballot.
    past = Proposal.objects.filter(status__in=AFTER_COMMUNITY_VOTE)
    assert past.exists()
    assert not past.exclude(ballots__kind=BallotKind.COMMUNITY, ballots__outcome=BallotOutcome.PASSED).exists()
    # Every vote is cast by an elector of its ballot, once.
    rolls = set(BallotElector.objects.values_list("ballot_id", "user_id"))
    pairs = list(Vote.objects.values_list("ballot_id", "voter_id"))
    assert pairs and set(pairs) <= rolls and len(pairs) == len(set(pairs))
    # R15: no fund's available balance ever went below zero along its chain.
    for fund_id in LedgerEntry.objects.values_list("fund_id", flat=True).distinct():
        balance = reserved = 0
        for b, r in LedgerEntry.objects.filter(fund_id=fund_id).order_by("seq").values_list(
            "balance_delta", "reserved_delta"
        ):
            balance, reserved = balance + b, reserved + r
            assert balance - reserved >= 0
    # R21: receipt numbers run 1, 2, 3 … per foundation, one donation entry each.
    for fund_id, top in Donation.objects.values_list("fund_id").annotate(top=Max("receipt_no")):
        numbers = sorted(Donation.objects.filter(fund_id=fund_id).values_list("receipt_no", flat=True))
        assert numbers == list(range(1, top + 1))
    assert Donation.objects.count() == LedgerEntry.objects.filter(kind=EntryKind.DONATION).count()
    # R5: at most three objections of one resident to one notice.
    per = Counter(Objection.objects.values_list("notice_id", "resident_id"))
    assert max(per.values()) <= MAX_OBJECTIONS_PER_NOTICE


def _assert_tiny_city():
    assert Community.objects.count() == 1
    assert ResidentGroup.objects.count() == 2
    assert Proposal.objects.count() == 2 * 20
    assert len(set(Proposal.objects.values_list("status", flat=True))) >= 8
    assert Seat.objects.filter(council__kind="community").count() == 37
    assert LedgerEntry.objects.values("fund").annotate(n=Count("pk")).order_by("-n")[0]["n"] >= 3300
    assert Notification.objects.exists()
    assert User.objects.get(username="s01-c01-g01-r001").check_password("yishi-bench")
    # The 三社联动 half, through its services: every kind of row and state is there.
    assert Organisation.objects.count() == 10
    assert {NeedStatus.OPEN, NeedStatus.LISTED, NeedStatus.MET, NeedStatus.MERGED, NeedStatus.DECLINED} <= set(
        Need.objects.values_list("status", flat=True)
    )
    assert ServiceProject.objects.count() == 5 and ServiceRecord.objects.exists()
    assert GrantAward.objects.filter(final_payment__isnull=False).exists()
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT_PAYMENT).exists()
    assert Election.objects.filter(status=ElectionStatus.COMPLETED).exists()
    # The city checked itself and left a passed run with a signed checkpoint.
    run = HistoryRun.objects.get()
    assert run.ok and run.checkpoint is not None


@pytest.mark.django_db
def test_seed_scale_builds_a_valid_tiny_city():
    output = _seed(size="tiny")
    assert "Scale city built" in output
    _assert_tiny_city()
    assert "All history chains verify." in _verify_history()
    _assert_rules_hold()


@pytest.mark.postgres
@pytest.mark.django_db
def test_seed_scale_builds_a_valid_tiny_city_on_postgresql(postgres):
    """The PostgreSQL path writes with COPY (values through the fields' own conversions)."""
    _seed(size="tiny")
    _assert_tiny_city()
    output = _verify_history()
    assert "All history chains verify." in output and "checkpoint #1" in output
    _assert_rules_hold()


@pytest.mark.django_db
def test_seed_scale_refuses_a_database_that_is_not_empty():
    _seed(size="tiny", no_sanshe=True, no_verify=True)
    before = Proposal.objects.count()
    with pytest.raises(CommandError, match="fills an empty database only"):
        _seed(size="tiny")
    assert Proposal.objects.count() == before
    assert "already here" in _seed(size="tiny", if_empty=True)
    assert Proposal.objects.count() == before


@pytest.mark.django_db
def test_seed_scale_refuses_sizes_that_cannot_fill_a_community_council():
    with pytest.raises(CommandError, match="37"):
        _seed(size="tiny", groups=2, residents=20)
    assert not Proposal.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_seed_scale_two_subdistricts_stay_valid():
    _seed(scale=2, communities=3, groups=6, residents=60, proposals=40, donations=5000)
    assert Proposal.objects.count() == 2 * 3 * 6 * 40
    # Every state of the life of a proposal is present.
    assert set(Proposal.objects.values_list("status", flat=True)) == set(S.values)
    assert Organisation.objects.count() == 2 * 3 * 10
    assert "All history chains verify." in _verify_history()
    _assert_rules_hold()
