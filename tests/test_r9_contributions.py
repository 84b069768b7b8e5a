"""R9 self-raised money: contributions recorded by the group council, corrected by reversal only."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from funding import selectors as sel
from funding import services as fs
from funding.models import Contribution
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.funding_support import (
    D,
    contribute,
    drive_to_approved,
    drive_to_notice,
    make_fund,
    old_world,
)
from yishi.errors import DomainError, InvalidTransition, PermissionDenied


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def record(world, p, amount="500.00", receipt_no="S0001", **kwargs):
    fields = {"payer": "北苑 3 栋 2 单元 401", "paid_on": timezone.localdate()} | kwargs
    return fs.contribution_record(proposal=p, actor=world.group_members[1], amount=amount,
                                  receipt_no=receipt_no, **fields)


def test_r9_contribution_recorded_during_the_notice(small):
    p = drive_to_notice(small)
    c = record(small, p, "500.00", "S0001", payer_kind="organisation")
    assert (c.amount, c.receipt_no, c.payer_kind) == (D("500.00"), "S0001", "organisation")
    assert sel.contributions_collected(p) == D("500.00")
    event = p.events.get(kind="contribution_recorded")
    assert event.amounts == {"amount": "500.00", "collected": "500.00", "target": "18000.00"}
    assert event.actor == small.group_members[1]
    assert "北苑" not in str(event.data)  # the payer stays off the public timeline


def test_r9_contribution_before_adoption_is_refused(small):
    p = ps.proposal_create(author=small.author, group=small.group, title="t", summary="s",
                           lines=[("门", 1, "项", "1000.00")], community_share="500.00")
    with pytest.raises(InvalidTransition, match="决议形成后"):
        record(small, p)
    ps.proposal_submit(proposal=p, actor=small.author)
    with pytest.raises(InvalidTransition):
        record(small, p)
    assert not Contribution.objects.exists()


def test_r9_only_group_council_members_record(small):
    p = drive_to_notice(small)
    for who in (small.author, small.staff, small.street_staff, small.supervisor):
        with pytest.raises(PermissionDenied, match="议事会成员"):
            fs.contribution_record(proposal=p, actor=who, payer="x", amount="1.00", receipt_no="S1",
                                   paid_on=timezone.localdate())
    assert not Contribution.objects.exists()


def test_r9_receipt_number_unique_within_the_proposal(small):
    p = drive_to_notice(small)
    other = drive_to_notice(small, title="另一项")
    record(small, p, receipt_no="S0001")
    with pytest.raises(DomainError, match="S0001 已经登记过了"):
        record(small, p, receipt_no="S0001", amount="20.00")
    record(small, other, receipt_no="S0001")  # another proposal keeps its own numbers
    assert sel.contributions_collected(p) == D("500.00")


def test_r9_receipt_unique_in_the_database_too(small):
    p = drive_to_notice(small)
    c = record(small, p, receipt_no="S0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(proposal=p, payer="x", amount=D("1.00"), receipt_no="S0001",
                                    paid_on=c.paid_on, recorded_by=c.recorded_by)


def test_r9_more_than_the_self_raised_share_is_refused(small):
    p = drive_to_notice(small)
    contribute(small, p, "17900.00", households=2)
    with pytest.raises(DomainError, match="最多还能登记 100.00 元") as exc:
        record(small, p, "100.01", "S9")
    assert exc.value.code == "over_target"
    record(small, p, "100.00", "S9")
    assert sel.contributions_collected(p) == D("18000.00")


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "abc", "10000000.01", "1e30", "NaN", None])
def test_r9_amount_must_be_money(small, amount):
    p = drive_to_notice(small)
    with pytest.raises(DomainError):
        record(small, p, amount)
    assert not Contribution.objects.exists()


def test_r9_payment_date_cannot_be_in_the_future(small):
    p = drive_to_notice(small)
    with pytest.raises(DomainError, match="不能晚于今天"):
        record(small, p, paid_on=timezone.localdate() + timedelta(days=1))
    assert record(small, p, paid_on=(timezone.localdate() - timedelta(days=3)).isoformat()).paid_on == (
        timezone.localdate() - timedelta(days=3))


def test_r9_reversal_instead_of_edit(small):
    p = drive_to_notice(small)
    wrong = record(small, p, "5000.00", "S0001")
    with pytest.raises(DomainError, match="请填写冲正理由"):
        fs.contribution_reverse(contribution=wrong, actor=small.group_members[0], reason="")
    fs.contribution_reverse(contribution=wrong, actor=small.group_members[0], reason="金额录错，应为 500 元")
    wrong.refresh_from_db()
    assert wrong.amount == D("5000.00") and wrong.is_reversed  # the row stays as it was entered
    assert sel.contributions_collected(p) == D("0.00")
    with pytest.raises(DomainError, match="已经冲正过了"):
        fs.contribution_reverse(contribution=wrong, actor=small.group_members[0], reason="again")
    # The same receipt is entered again, correctly.
    record(small, p, "500.00", "S0001")
    assert sel.contributions_collected(p) == D("500.00")
    event = p.events.get(kind="contribution_reversed")
    assert event.amounts == {"amount": "-5000.00", "collected": "0.00"}
    assert event.reason == "金额录错，应为 500 元"


def test_r9_reversal_after_release_is_refused(small):
    make_fund(small, "100000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    (c,) = contribute(small, p, "18000.00")
    fs.funds_release(proposal=p, actor=small.street_staff)
    with pytest.raises(InvalidTransition, match="资金拨付后不能冲正"):
        fs.contribution_reverse(contribution=c, actor=small.group_members[0], reason="x")
    with pytest.raises(InvalidTransition):
        record(small, p, "1.00", "late")
    p.refresh_from_db()
    assert p.status == S.RELEASED and sel.contributions_collected(p) == D("18000.00")


def test_r9_lowered_share_raises_the_target(small):
    make_fund(small, "100000.00")
    p = drive_to_approved(small)
    contribute(small, p, "18000.00")
    fs.budget_approve(proposal=p, reviewer=small.street_staff, community_share="17000.00")
    blockers = sel.release_blockers(p)
    assert blockers == ["居民自筹：应筹 19,000.00 元，已登记 18,000.00 元，还差 1,000.00 元。"]
    record(small, p, "1000.00", "S-extra")
    assert sel.release_blockers(p) == []
