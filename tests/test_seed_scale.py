"""``manage.py seed_scale``: a valid city at any size (issue 8). The default size is the benchmark's
(scripts/bench.sh); here a small city, and a larger one under the ``slow`` marker."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from councils.models import Community, ResidentGroup, Seat, User
from funding.models import LedgerEntry
from notifications.models import Notification
from proposals.enums import BallotKind, BallotOutcome
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Proposal, ProposalEvent, Vote
from proposals.thresholds import COMMUNITY_TWO_THIRDS, GROUP_MAJORITY

SMALL = dict(communities=1, groups=2, residents=24, proposals=20, donations=3300)


def _seed(**sizes):
    out = StringIO()
    call_command("seed_scale", stdout=out, **sizes)
    return out.getvalue()


def _assert_city_valid():
    out = StringIO()
    call_command("verify_history", stdout=out)  # raises CommandError on any broken chain
    assert "All history chains verify." in out.getvalue()
    # R7 / R4: a passed ballot has its threshold in approve votes actually cast, and counts match the votes.
    for ballot in Ballot.objects.filter(closed_at__isnull=False).annotate(
        approve=Count("votes", filter=Q(votes__choice="approve")), cast=Count("votes")
    ):
        rule = COMMUNITY_TWO_THIRDS if ballot.kind == BallotKind.COMMUNITY else GROUP_MAJORITY
        assert ballot.approve == ballot.approve_count
        assert ballot.cast == ballot.approve_count + ballot.oppose_count + ballot.abstain_count
        passes = rule.passes(approve=ballot.approve, electorate=ballot.electorate_size)
        assert passes == (ballot.outcome == BallotOutcome.PASSED)
    # Every vote is by an elector of its ballot.
    assert not Vote.objects.exclude(ballot__electors__user=models_F_voter()).exists()
    # Each proposal's status is the one its last event moved it to.
    for p in Proposal.objects.all():
        last = ProposalEvent.objects.filter(proposal=p).exclude(to_status="").order_by("-seq").first()
        assert last.to_status == p.status
    # R15: no fund's available balance ever went below zero along its chain.
    for fund_id in LedgerEntry.objects.values_list("fund_id", flat=True).distinct():
        balance = reserved = 0
        for e in LedgerEntry.objects.filter(fund_id=fund_id).order_by("seq"):
            balance += e.balance_delta
            reserved += e.reserved_delta
            assert balance - reserved >= 0


def models_F_voter():
    from django.db.models import F

    return F("voter")


@pytest.mark.django_db
def test_seed_scale_builds_a_valid_small_city():
    output = _seed(**SMALL)
    assert "Scale city built" in output
    assert Community.objects.count() == 1
    assert ResidentGroup.objects.count() == 2
    assert Proposal.objects.count() == 2 * 20
    assert len(set(Proposal.objects.values_list("status", flat=True))) >= 8
    assert Seat.objects.filter(council__kind="community").count() == 37
    assert LedgerEntry.objects.values("fund").annotate(n=Count("pk")).order_by("-n")[0]["n"] >= 3300
    assert Notification.objects.exists()
    assert User.objects.get(username="s01-c01-g01-r001").check_password("yishi-bench")
    _assert_city_valid()


@pytest.mark.django_db
def test_seed_scale_refuses_a_database_that_is_not_empty():
    _seed(**SMALL)
    before = Proposal.objects.count()
    with pytest.raises(CommandError, match="fills an empty database only"):
        _seed(**SMALL)
    assert Proposal.objects.count() == before
    assert "already here" in _seed(if_empty=True, **SMALL)


@pytest.mark.slow
@pytest.mark.django_db
def test_seed_scale_two_subdistricts_stay_valid():
    _seed(scale=2, communities=3, groups=6, residents=60, proposals=40, donations=5000)
    assert Proposal.objects.count() == 2 * 3 * 6 * 40
    # Every state of the life of a proposal is present.
    assert set(Proposal.objects.values_list("status", flat=True)) == set(S.values)
    _assert_city_valid()
