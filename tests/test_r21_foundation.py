"""R21 community foundations: donations, gap-free receipts, designated money, reversals, monthly accounts."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from funding import selectors as sel
from funding import services as fs
from funding.enums import DonorKind, EntryKind, FundKind
from funding.exports import ledger_table, to_csv
from funding.foundation import monthly_account_post, monthly_figures, purpose_left
from funding.ledger import verify_fund_chains
from funding.models import Donation, LedgerEntry, MonthlyAccount, PurposeDraw, ReceiptCounter
from funding.selectors import current_year
from proposals import services as ps
from proposals.enums import Category
from proposals.enums import ProposalStatus as S
from tests.factories import UserFactory
from tests.funding_support import D, contribute, drive_to_approved, make_fund, old_world
from yishi.errors import DomainError, PermissionDenied

SHANGHAI = ZoneInfo("Asia/Shanghai")
ELDER_LINES = [("助老餐桌设备", 1, "项", "4000.00")]


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def foundation(world, year=None):
    return fs.fund_create(community=world.community, year=year or current_year(), actor=world.street_staff,
                          kind=FundKind.FOUNDATION)


def give(world, fund, amount, *, kind=DonorKind.RESIDENT, name="张秀英", publish=False, purpose=None,
         actor=None, paid_on=None):
    return fs.donation_record(
        fund=fund, actor=actor or world.staff, donor_kind=kind, donor_name="" if kind == DonorKind.ANONYMOUS else name,
        amount=amount, method="cash", paid_on=paid_on or timezone.localdate(), publish_name=publish, purpose=purpose,
    )


def counts():
    return (Donation.objects.count(), LedgerEntry.objects.count(), PurposeDraw.objects.count(),
            list(ReceiptCounter.objects.values_list("last_no", flat=True)))


# --------------------------------------------------------------------------- recording and numbers


def test_r21_donation_is_one_ledger_entry_with_the_next_receipt_number(small):
    fund = foundation(small)
    first = give(small, fund, "200.00")
    second = give(small, fund, "50.50", kind=DonorKind.ENTERPRISE, name="晋阳商贸有限公司", publish=True)
    assert (first.receipt_no, second.receipt_no) == (1, 2)
    assert second.receipt_number == f"{fund.year}-0002"
    assert first.entry.kind == EntryKind.DONATION and first.entry.balance_delta == D("200.00")
    assert sel.fund_balance(fund) == D("250.50")
    assert LedgerEntry.objects.filter(fund=fund).count() == 2
    # Another fund (another year) counts from 1 again.
    other = foundation(small, year=current_year() - 1)
    old = give(small, other, "10.00", paid_on=date(other.year, 6, 1))
    assert old.receipt_no == 1


def test_r21_refused_or_rolled_back_recording_takes_no_number(small):
    fund = foundation(small)
    give(small, fund, "10.00")
    with pytest.raises(DomainError):
        give(small, fund, "-5")
    with pytest.raises(RuntimeError), transaction.atomic():
        give(small, fund, "20.00")
        raise RuntimeError("the caller's transaction fails after the recording")
    third = give(small, fund, "30.00")
    assert third.receipt_no == 2
    assert list(Donation.objects.filter(fund=fund).values_list("receipt_no", flat=True)) == [1, 2]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"donor_kind": DonorKind.ANONYMOUS, "donor_name": "王大爷"}, "anonymous_named"),
        ({"paid_on": date(2001, 3, 1)}, "wrong_year"),
        ({"amount": "0"}, "refused"),
        ({"amount": "12.345"}, "refused"),
        ({"donor_name": "  "}, "refused"),
        ({"donor_kind": "alien"}, "refused"),
        ({"method": "crypto"}, "refused"),
        ({"purpose": "not-a-category"}, "refused"),
    ],
)
def test_r21_bad_donation_is_refused_and_nothing_changes(small, changes, code):
    fund = foundation(small)
    before = counts()
    args = {"fund": fund, "actor": small.staff, "donor_kind": DonorKind.RESIDENT, "donor_name": "张秀英",
            "amount": "100.00", "method": "cash", "paid_on": timezone.localdate()} | changes
    with pytest.raises(DomainError) as err:
        fs.donation_record(**args)
    assert err.value.code == code
    assert str(err.value)
    assert counts() == before


def test_r21_future_date_and_public_service_fund_are_refused(small):
    fund = foundation(small)
    with pytest.raises(DomainError, match="不能晚于今天"):
        give(small, fund, "1.00", paid_on=timezone.localdate() + timedelta(days=1))
    public = make_fund(small, "1000.00")
    with pytest.raises(DomainError) as err:
        give(small, public, "1.00")
    assert err.value.code == "not_foundation"


def test_r21_anonymous_donation_carries_no_name_and_publishes_nothing(small):
    fund = foundation(small)
    d = give(small, fund, "88.00", kind=DonorKind.ANONYMOUS, publish=True)
    assert d.donor_name == "" and d.publish_name is False
    assert d.public_name == "匿名捐赠人" and d.entry.counterparty == "匿名捐赠人"


def test_r21_only_community_staff_and_the_foundations_managers_record(small):
    fund = foundation(small)
    for who in (small.residents[0], small.street_staff, small.supervisor, small.group_members[0]):
        with pytest.raises(PermissionDenied):
            give(small, fund, "1.00", actor=who)
    manager = UserFactory(full_name="基金管理人")
    fund.managers.add(manager)
    assert give(small, fund, "1.00", actor=manager).recorded_by == manager
    assert Donation.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r21_concurrent_recordings_never_share_or_skip_a_number(postgres):
    from tests.test_r15_concurrency import run_at_once

    world = old_world(group_seats=3, community_seats=3)
    fund = foundation(world)

    def record(n):
        from funding.models import Fund

        if n % 5 == 4:  # some recordings are refused after the form was filled: they must not take a number
            fs.donation_record(fund=Fund.objects.get(pk=fund.pk), actor=world.staff, donor_kind="resident",
                               donor_name="", amount="1.00", method="cash", paid_on=timezone.localdate())
        d = fs.donation_record(fund=Fund.objects.get(pk=fund.pk), actor=world.staff, donor_kind="resident",
                               donor_name=f"居民{n}", amount=f"{n + 1}.01", method="transfer",
                               paid_on=timezone.localdate())
        return d.receipt_no

    results = run_at_once(20, record)
    numbers = sorted(r for r in results if isinstance(r, int))
    assert numbers == list(range(1, 17)), results
    assert results.count("refused") == 4
    assert ReceiptCounter.objects.get(fund=fund).last_no == 16
    assert sel.fund_balance(fund) == sum((D(f"{n + 1}.01") for n in range(20) if n % 5 != 4), D(0))
    assert [(checked, bad) for _f, checked, bad, _w in verify_fund_chains([fund])] == [(16, None)]


# --------------------------------------------------------------------------- reversal


def test_r21_reversal_restores_the_balance_and_keeps_the_number(small):
    fund = foundation(small)
    give(small, fund, "500.00")
    wrong = give(small, fund, "5000.00", name="李建国")
    reversed_ = fs.donation_reverse(donation=wrong, actor=small.staff, reason="金额多写了一个零")
    assert reversed_.is_reversed and reversed_.reversal_reason == "金额多写了一个零"
    entry = reversed_.reversal_entry
    assert entry.kind == EntryKind.CORRECTION and entry.balance_delta == D("-5000.00")
    assert entry.corrects_id == wrong.entry_id
    assert sel.fund_balance(fund) == D("500.00")
    again = give(small, fund, "500.00", name="李建国")
    assert again.receipt_no == 3  # the reversed number stays accounted for; no gap, no reuse
    with pytest.raises(DomainError, match="已经冲正过了"):
        fs.donation_reverse(donation=wrong, actor=small.staff, reason="再来一次")
    with pytest.raises(DomainError):
        fs.donation_reverse(donation=again, actor=small.staff, reason="  ")
    with pytest.raises(PermissionDenied):
        fs.donation_reverse(donation=again, actor=small.residents[0], reason="不是我")
    assert sel.fund_balance(fund) == D("1000.00")
    assert [(checked, bad) for _f, checked, bad, _w in verify_fund_chains([fund])] == [(4, None)]


# --------------------------------------------------------------------------- designated money


def approved_elderly(world, title="助老餐桌"):
    return drive_to_approved(world, lines=ELDER_LINES, share="2000.00", category=Category.ELDERLY, title=title)


def test_r21_designated_money_is_refused_for_another_purpose(small):
    fund = foundation(small)
    give(small, fund, "5000.00", purpose=Category.ELDERLY)
    give(small, fund, "1000.00")
    other = drive_to_approved(small, lines=[("路灯维修", 1, "项", "4000.00")], share="2000.00",
                              category=Category.INFRASTRUCTURE, title="路灯维修")
    before = (counts(), sel.fund_reserved(fund))
    with pytest.raises(DomainError) as err:
        fs.budget_approve(proposal=other, reviewer=small.street_staff, fund=fund)
    assert err.value.code == "designated"
    assert "1,000.00" in str(err.value) and "为老服务类项目 5,000.00 元" in str(err.value)
    other.refresh_from_db()
    assert other.status == S.APPROVED and (counts(), sel.fund_reserved(fund)) == before
    # Its own purpose may use it: designated money first, then free money.
    elderly = approved_elderly(small)
    fs.budget_approve(proposal=elderly, reviewer=small.street_staff, fund=fund)
    left = purpose_left(fund)[("category", Category.ELDERLY)]
    assert (left["given"], left["spent"], left["left"]) == (D("5000.00"), D("2000.00"), D("3000.00"))


def test_r21_free_money_up_to_the_last_fen_then_refused(small):
    fund = foundation(small)
    give(small, fund, "9000.00", purpose=Category.CULTURE)
    give(small, fund, "1999.99")
    p = drive_to_approved(small, lines=[("路灯维修", 1, "项", "4000.00")], share="2000.00",
                          category=Category.INFRASTRUCTURE, title="路灯维修")
    with pytest.raises(DomainError, match="1,999.99"):
        fs.budget_approve(proposal=p, reviewer=small.street_staff, fund=fund)
    give(small, fund, "0.01")
    fs.budget_approve(proposal=p, reviewer=small.street_staff, fund=fund)
    assert not PurposeDraw.objects.filter(proposal=p).exists()  # all free money


def test_r21_money_designated_for_a_proposal_goes_to_it_first(small):
    fund = foundation(small)
    p = approved_elderly(small)
    give(small, fund, "1500.00", purpose=p)
    give(small, fund, "400.00", purpose=Category.ELDERLY)
    give(small, fund, "1000.00")
    fs.budget_approve(proposal=p, reviewer=small.street_staff, fund=fund)
    lefts = purpose_left(fund)
    assert lefts[("proposal", str(p.pk))]["left"] == D("0.00")
    assert lefts[("category", Category.ELDERLY)]["left"] == D("0.00")
    assert sel.fund_available(fund) == D("900.00")


def test_r21_withdrawal_gives_designated_money_back_to_its_purpose(small):
    fund = foundation(small)
    give(small, fund, "3000.00", purpose=Category.ELDERLY)
    p = approved_elderly(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff, fund=fund)
    assert purpose_left(fund)[("category", Category.ELDERLY)]["left"] == D("1000.00")
    ps.proposal_withdraw(proposal=p, actor=small.author, reason="另有单位捐了设备")
    assert purpose_left(fund)[("category", Category.ELDERLY)]["left"] == D("3000.00")
    assert sel.fund_available(fund) == D("3000.00")


def test_r21_spent_designated_donation_cannot_be_reversed(small):
    fund = foundation(small)
    d = give(small, fund, "2000.00", purpose=Category.ELDERLY)
    free = give(small, fund, "100.00")
    p = approved_elderly(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff, fund=fund)
    before = counts()
    with pytest.raises(DomainError) as err:
        fs.donation_reverse(donation=d, actor=small.staff, reason="录错了")
    assert err.value.code == "already_spent" and counts() == before
    fs.donation_reverse(donation=free, actor=small.staff, reason="录错了")
    assert sel.fund_available(fund) == D("0.00")


# --------------------------------------------------------------------------- consent


def test_r21_consent_hides_names_in_ledger_exports_and_accounts(small):
    fund = foundation(small)
    give(small, fund, "300.00", name="不愿具名的王淑芬")
    give(small, fund, "800.00", kind=DonorKind.LOCAL_UNIT, name="晋阳派出所", publish=True)
    give(small, fund, "5.00", kind=DonorKind.ANONYMOUS)
    csv_text = to_csv(ledger_table(fund)).decode("utf-8-sig")
    figures = monthly_figures(fund, timezone.localdate().replace(day=1))
    public_texts = [csv_text, str(figures),
                    " ".join(LedgerEntry.objects.filter(fund=fund).values_list("counterparty", flat=True)),
                    " ".join(LedgerEntry.objects.filter(fund=fund).values_list("memo", flat=True))]
    for text in public_texts:
        assert "王淑芬" not in text
    assert "晋阳派出所" in csv_text and [d["name"] for d in figures["donors"]] == ["晋阳派出所"]
    assert "居民（未公开姓名）" in csv_text


# --------------------------------------------------------------------------- monthly accounts


def at(y, m, d, h=10):
    return time_machine.travel(datetime(y, m, d, h, tzinfo=SHANGHAI), tick=False)


def test_r21_monthly_accounts_equal_the_ledger_to_the_fen(db):
    with at(2026, 1, 3):
        world = old_world(group_seats=3, community_seats=3)
        fund = foundation(world)
        public = make_fund(world, "100000.00")
    with at(2026, 2, 10):
        give(world, fund, "1000.01")
    with at(2026, 3, 5):
        give(world, fund, "2500.50", kind=DonorKind.ENTERPRISE, name="晋阳商贸有限公司", publish=True)
        give(world, fund, "0.99", kind=DonorKind.ANONYMOUS)
        wrong = give(world, fund, "300.33", kind=DonorKind.LOCAL_UNIT, name="晋阳小学")
        give(world, fund, "3000.00", purpose=Category.ELDERLY)
    with at(2026, 3, 25):
        fs.donation_reverse(donation=wrong, actor=world.staff, reason="重复登记")
        p = approved_elderly(world)
        review = fs.budget_approve(proposal=p, reviewer=world.street_staff, fund=fund)
        contribute(world, p, review.self_raised_share)
        fs.funds_release(proposal=p, actor=world.street_staff)
    with at(2026, 4, 1, 6):
        call_command("post_foundation_accounts")
        with pytest.raises(DomainError):
            monthly_account_post(fund=fund, month=date(2026, 4, 1))
    assert not MonthlyAccount.objects.filter(fund=public).exists()
    march = MonthlyAccount.objects.get(fund=fund, month=date(2026, 3, 1))
    data = march.data
    assert data["opening"] == "1000.01"
    assert data["income"]["enterprise"] == "2500.50" and data["income"]["anonymous"] == "0.99"
    assert data["income"]["local_unit"] == "0.00" and data["income"]["resident"] == "3000.00"
    assert data["income_total"] == "5501.49"
    assert data["spending"] == [{"proposal": p.pk, "title": "助老餐桌", "amount": "2000.00"}]
    assert data["closing"] == "4501.50"
    # To the fen, against the ledger itself.
    end = datetime(2026, 4, 1, tzinfo=SHANGHAI)
    ledger_closing = sum(LedgerEntry.objects.filter(fund=fund, created_at__lt=end).values_list(
        "balance_delta", flat=True), Decimal("0"))
    assert Decimal(data["closing"]) == ledger_closing
    assert (Decimal(data["opening"]) + Decimal(data["income_total"]) - Decimal(data["spending_total"])
            + Decimal(data["corrections"])) == Decimal(data["closing"])
    last = LedgerEntry.objects.filter(fund=fund).order_by("-seq").first()
    assert (march.chain_seq, march.chain_head) == (last.seq, last.hash)
    assert [d["name"] for d in data["donors"]] == ["晋阳商贸有限公司"]
    # Posting again changes nothing; an earlier month posts on request.
    with at(2026, 4, 2):
        call_command("post_foundation_accounts", "--month", "2026-03")
        call_command("post_foundation_accounts", "--month", "2026-02")
    assert MonthlyAccount.objects.filter(fund=fund).count() == 2
    assert MonthlyAccount.objects.get(fund=fund, month=date(2026, 3, 1)).generated_at == march.generated_at
    assert MonthlyAccount.objects.get(fund=fund, month=date(2026, 2, 1)).data["closing"] == "1000.01"


def test_r21_scheduled_job_posts_last_month(db):
    from funding.tasks import post_foundation_accounts

    with at(2026, 1, 3):
        world = old_world(group_seats=3, community_seats=3)
        fund = foundation(world)
        give(world, fund, "10.00")
    with at(2026, 2, 1, 6):
        assert post_foundation_accounts() == 1
        assert post_foundation_accounts() == 1
    assert MonthlyAccount.objects.get(fund=fund).month == date(2026, 1, 1)
