"""R10 release: only when R6, R7, R8, R9 hold and no hold is open; at most once per proposal."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind, RefundCause
from funding.ledger import entry_write, lock_fund
from funding.models import LedgerEntry, Refund
from proposals import services as ps
from proposals.enums import BallotKind
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Notice, Objection, Proposal
from tests.funding_support import D, contribute, drive_to_approved, make_fund, old_world, snapshot
from yishi.errors import DomainError, PermissionDenied


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


@pytest.fixture
def ready(small):
    """A FUNDED proposal with every release condition met."""
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    contribute(small, p, "18000.00", households=3)
    p.refresh_from_db()
    assert sel.release_blockers(p) == []
    return small, p, fund


def assert_refused_naming(world, p, fund, tag):
    before = snapshot(p, fund)
    blockers = sel.release_blockers(p)
    assert len(blockers) == 1 and blockers[0].startswith(tag), blockers
    with pytest.raises(DomainError) as exc:
        fs.funds_release(proposal=p, actor=world.street_staff)
    assert exc.value.code == "release_blocked" and tag in str(exc.value)
    assert snapshot(p, fund) == before
    assert not LedgerEntry.objects.filter(kind=EntryKind.RELEASE).exists()


def test_r10_all_conditions_met_releases_exactly_once(ready):
    world, p, fund = ready
    fs.funds_release(proposal=p, actor=world.street_staff)
    p.refresh_from_db()
    assert p.status == S.RELEASED
    (entry,) = LedgerEntry.objects.filter(proposal=p, kind=EntryKind.RELEASE)
    assert (entry.balance_delta, entry.reserved_delta, entry.actor) == (D("-18000.00"), D("-18000.00"),
                                                                       world.street_staff)
    assert (sel.fund_balance(fund), sel.fund_available(fund)) == (D("82000.00"), D("82000.00"))
    event = p.events.get(kind="funds_released")
    assert event.amounts["community_share"] == "18000.00" and event.data["entry"] == entry.pk
    before = snapshot(p, fund)
    with pytest.raises(DomainError, match="资金已拨付"):
        fs.funds_release(proposal=p, actor=world.street_staff)
    assert snapshot(p, fund) == before


def test_r10_release_refused_without_contributions_r9(ready):
    world, p, fund = ready
    c = p.contributions.first()
    fs.contribution_reverse(contribution=c, actor=world.group_members[0], reason="收据作废")
    assert_refused_naming(world, p, fund, "居民自筹")
    assert "还差 6,000.00 元" in sel.release_blockers(p)[0]


def test_r10_release_refused_with_an_open_hold_r11(ready):
    world, p, fund = ready
    ps.hold_place(proposal=p, supervisor=world.supervisor, reason="报价单据不全，待核实")
    assert_refused_naming(world, p, fund, "监督暂停")
    assert "报价单据不全" in sel.release_blockers(p)[0]


def test_r10_release_refused_with_an_unanswered_objection_r6(ready):
    world, p, fund = ready
    notice = Notice.objects.get(proposal=p, voided_at__isnull=True)
    Objection.objects.create(notice=notice, resident=world.residents[1], text="没有征求一楼住户意见",
                             filed_at=notice.published_at + timedelta(days=1))
    assert_refused_naming(world, p, fund, "公示")
    assert "异议没有答复" in sel.release_blockers(p)[0]


def test_r10_release_refused_with_an_upheld_objection_r6(ready):
    world, p, fund = ready
    notice = Notice.objects.get(proposal=p, voided_at__isnull=True)
    Objection.objects.create(
        notice=notice, resident=world.residents[1], text="x", filed_at=notice.published_at,
        answered_at=notice.published_at + timedelta(hours=1), answered_by=world.group_members[0],
        upheld=True, answer="采纳",
    )
    assert_refused_naming(world, p, fund, "公示")


def test_r10_release_refused_before_the_notice_ran_its_time_r6(ready):
    world, p, fund = ready
    Notice.objects.filter(proposal=p).update(ends_at=timezone.now() + timedelta(hours=5))
    assert_refused_naming(world, p, fund, "公示")
    assert "才期满" in sel.release_blockers(p)[0]


def test_r10_release_refused_when_the_ballot_missed_two_thirds_r7(ready):
    world, p, fund = ready
    # 3 members: 2 approve are needed; a record showing 1 cannot release money.
    Ballot.objects.filter(proposal=p, kind=BallotKind.COMMUNITY).update(approve_count=1, oppose_count=2)
    assert_refused_naming(world, p, fund, "社区表决")
    assert "需要 2 票" in sel.release_blockers(p)[0]


def test_r10_release_refused_without_budget_approval_r8(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    contribute(small, p, "18000.00")
    Proposal.objects.filter(pk=p.pk).update(status=S.FUNDED)  # a record that skipped the review
    p.refresh_from_db()
    assert_refused_naming(small, p, fund, "预算审核")


def test_r10_refusal_lists_every_unmet_condition(ready):
    world, p, _fund = ready
    ps.hold_place(proposal=p, supervisor=world.supervisor, reason="待核实")
    fs.contribution_reverse(contribution=p.contributions.first(), actor=world.group_members[0], reason="x")
    with pytest.raises(DomainError) as exc:
        fs.funds_release(proposal=p, actor=world.street_staff)
    assert "居民自筹：应筹" in str(exc.value) and "监督暂停：" in str(exc.value)


def test_r10_only_street_staff_release(ready):
    world, p, fund = ready
    before = snapshot(p, fund)
    for who in (world.group_members[0], world.staff, world.supervisor):
        with pytest.raises(PermissionDenied):
            fs.funds_release(proposal=p, actor=who)
    assert snapshot(p, fund) == before


def test_r10_second_release_entry_is_impossible_in_the_database(ready):
    world, p, fund = ready
    fs.funds_release(proposal=p, actor=world.street_staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        lock_fund(fund)
        entry_write(fund=fund, kind=EntryKind.RELEASE, balance_delta="-1.00", reserved_delta="-1.00", proposal=p)
    assert LedgerEntry.objects.filter(proposal=p, kind=EntryKind.RELEASE).count() == 1


def test_r10_withdrawing_a_funded_proposal_cancels_the_reservation(ready):
    world, p, fund = ready
    assert sel.fund_available(fund) == D("82000.00")
    ps.proposal_withdraw(proposal=p, actor=world.author, reason="改由物业维修")
    p.refresh_from_db()
    assert p.status == S.WITHDRAWN
    cancel = LedgerEntry.objects.get(proposal=p, kind=EntryKind.RESERVATION_CANCEL)
    assert (cancel.balance_delta, cancel.reserved_delta) == (D("0.00"), D("-18000.00"))
    assert (sel.fund_balance(fund), sel.fund_reserved(fund), sel.fund_available(fund)) == (
        D("100000.00"), D("0.00"), D("100000.00"))
    # Every contribution is owed back in full.
    refunds = Refund.objects.filter(contribution__proposal=p)
    assert refunds.count() == 3 and {r.cause for r in refunds} == {RefundCause.WITHDRAWAL}
    assert sum(r.amount for r in refunds) == D("18000.00")
    with pytest.raises(DomainError):
        fs.funds_release(proposal=p, actor=world.street_staff)


def test_r10_refund_payment_is_recorded_once(ready):
    world, p, _fund = ready
    ps.proposal_withdraw(proposal=p, actor=world.author, reason="改由物业维修")
    refund = Refund.objects.filter(contribution__proposal=p).first()
    with pytest.raises(PermissionDenied):
        fs.refund_pay(refund=refund, actor=world.street_staff, paid_on=timezone.localdate())
    fs.refund_pay(refund=refund, actor=world.group_members[0], paid_on=timezone.localdate())
    refund.refresh_from_db()
    assert refund.paid_on == timezone.localdate() and refund.paid_recorded_by == world.group_members[0]
    with pytest.raises(DomainError, match="已经登记为已退"):
        fs.refund_pay(refund=refund, actor=world.group_members[0], paid_on=timezone.localdate())
