"""R3: budget lines; the total is computed; shares split within the cap; money is Decimal."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from proposals import hooks
from proposals import services as ps
from proposals.models import BudgetLine, Proposal
from tests.factories import BACK_GATE_LINES, make_proposal, to_group_review
from yishi.errors import DomainError

pytestmark = pytest.mark.django_db


def test_r3_total_is_computed_from_the_lines(world):
    proposal = make_proposal(world, community_share="18000")
    proposal.refresh_from_db()
    assert proposal.total == Decimal("36000.00") and isinstance(proposal.total, Decimal)
    assert proposal.community_share == Decimal("18000.00")
    assert proposal.self_raised_share == Decimal("18000.00")
    assert [line.amount for line in proposal.lines.all()] == [Decimal("12000.00"), Decimal("16000.00"),
                                                              Decimal("8000.00")]
    assert sum(line.amount for line in proposal.lines.all()) == proposal.total


def test_r3_line_amounts_round_to_the_fen_half_up(world):
    lines = [("油漆", "0.50", "桶", "0.05"), ("刷子", "3", "把", "33.33")]
    proposal = make_proposal(world, lines=lines, community_share="0")
    assert proposal.total == Decimal("0.03") + Decimal("99.99")


def test_r3_strings_and_ints_become_decimals(world):
    proposal = make_proposal(world, lines=[("门", 2, "扇", "1,500.50")], community_share=1500)
    line = proposal.lines.get()
    assert (line.quantity, line.unit_price, proposal.total) == (Decimal("2.00"), Decimal("1500.50"),
                                                                Decimal("3001.00"))


def test_r3_community_share_at_the_50_percent_cap_accepted(world):
    assert make_proposal(world, community_share="18000.00").community_share == Decimal("18000.00")


def test_r3_community_share_over_the_cap_refused(world):
    with pytest.raises(DomainError) as refused:
        make_proposal(world, community_share="18000.01")
    message = str(refused.value)
    assert "50%" in message and "18,000.00" in message
    assert not Proposal.objects.exists() and not BudgetLine.objects.exists()


def test_r3_fund_cap_from_the_funding_app_applies(world, monkeypatch):
    from fractions import Fraction

    monkeypatch.setattr(hooks, "_share_cap_lookup", lambda community: Fraction(1, 3))
    with pytest.raises(DomainError) as refused:
        make_proposal(world, community_share="12000.01")
    assert "33.33%" in str(refused.value)
    assert make_proposal(world, community_share="12000").community_share == 12000


def test_r3_cap_is_rechecked_when_the_group_ballot_opens(world, monkeypatch):
    from datetime import timedelta
    from fractions import Fraction

    from django.utils import timezone

    proposal = to_group_review(world)
    monkeypatch.setattr(hooks, "_share_cap_lookup", lambda community: Fraction(1, 4))
    events = proposal.events.count()
    with pytest.raises(DomainError):
        ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                             closes_at=timezone.now() + timedelta(days=2))
    assert not proposal.ballots.exists() and proposal.events.count() == events


@pytest.mark.parametrize(
    "share",
    ["-1", "abc", "", None, "NaN", "Infinity", "100.001", "1e30", "18000.5.0"],
)
def test_r3_bad_community_share_refused(world, share):
    with pytest.raises(DomainError):
        make_proposal(world, community_share=share)
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    "line",
    [
        ("门", "0", "扇", "100"),
        ("门", "-1", "扇", "100"),
        ("门", "1", "扇", "0"),
        ("门", "1", "扇", "-5"),
        ("门", "1", "扇", "10.001"),
        ("门", "1.005", "扇", "10"),
        ("门", "abc", "扇", "10"),
        ("门", "1", "扇", "1e30"),
        ("门", "1e30", "扇", "1"),
        ("", "1", "扇", "10"),
        ("门", "1", "", "10"),
        ("门", "1", "扇"),
        ("门", "1", "扇", "10000000.01"),
    ],
)
def test_r3_bad_budget_line_refused(world, line):
    with pytest.raises(DomainError):
        make_proposal(world, lines=[line], community_share="0")
    assert not Proposal.objects.exists()


def test_r3_no_lines_refused(world):
    with pytest.raises(DomainError):
        make_proposal(world, lines=[], community_share="0")
    assert not Proposal.objects.exists()


def test_r3_total_over_the_ceiling_refused(world):
    lines = [("工程", "2", "项", "6000000")]
    with pytest.raises(DomainError) as refused:
        make_proposal(world, lines=lines, community_share="0")
    assert "1000 万元" in str(refused.value)
    assert not Proposal.objects.exists()


def test_r3_share_over_total_is_refused_by_the_database_too(world):
    proposal = make_proposal(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(community_share=Decimal("36000.01"))


def test_r3_update_recomputes_the_total_and_bumps_the_revision(world):
    proposal = make_proposal(world)
    ps.proposal_update(proposal=proposal, actor=proposal.author, title=proposal.title, summary=proposal.summary,
                       lines=BACK_GATE_LINES[:1], community_share="6000")
    proposal.refresh_from_db()
    assert (proposal.total, proposal.community_share, proposal.revision) == (Decimal("12000.00"),
                                                                            Decimal("6000.00"), 2)
    assert proposal.lines.count() == 1


def test_r3_refused_update_changes_nothing(world):
    proposal = make_proposal(world)
    events = proposal.events.count()
    with pytest.raises(DomainError):
        ps.proposal_update(proposal=proposal, actor=proposal.author, title=proposal.title,
                           summary=proposal.summary, lines=BACK_GATE_LINES[:1], community_share="6000.01")
    proposal.refresh_from_db()
    assert (proposal.total, proposal.revision, proposal.lines.count(), proposal.events.count()) == (
        Decimal("36000.00"), 1, 3, events)


def test_r3_event_records_amounts_as_decimal_strings(world):
    event = make_proposal(world).events.get()
    assert event.amounts == {"total": "36000.00", "community_share": "18000.00"}
