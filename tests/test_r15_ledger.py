"""R15 the fund ledger (and R14 for its entries): balance and available are sums of append-only,
hash-chained entries; tampering is found by verify_history."""

from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind, FundKind
from funding.ledger import verify_fund_chains
from funding.models import AppendOnlyError, LedgerEntry
from proposals.enums import Category
from tests.factories import build_world
from tests.funding_support import D, drive_to_approved, make_fund, old_world
from yishi.chain import CHAINS
from yishi.errors import DomainError, PermissionDenied

TABLE = "funding_ledgerentry"


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def disable_append_only_trigger():
    """What a database owner could do; the hash chain is what still catches it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of this test's inserts must fire before ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
        else:
            cursor.execute(f"DROP TRIGGER {TABLE}_append_only")


def test_r15_balance_and_available_are_sums_of_entries(small):
    fund = make_fund(small, "200000.00")
    fs.fund_allocate(fund=fund, actor=small.street_staff, amount="100000.00", source="区财政追加")
    fs.fund_donate(fund=fund, actor=small.street_staff, amount="5000.50", donor="晋阳商会")
    fs.ledger_correct(fund=fund, actor=small.street_staff, amount="-0.50", reason="捐赠金额录入多了 5 角")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    totals = sel.fund_totals(fund)
    assert totals["balance"] == D("305000.00") and totals["reserved"] == D("18000.00")
    assert totals["available"] == D("287000.00") and totals["donated"] == D("5000.50")
    assert totals["corrections"] == D("-0.50")
    entries = list(sel.fund_entries(fund))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert sum(e.balance_delta for e in entries) == sel.fund_balance(fund)
    assert entries[0].prev_hash == "0" * 64 and all(b.prev_hash == a.hash for a, b in pairwise(entries))


def test_r15_correction_cannot_make_available_negative(small):
    fund = make_fund(small, "20000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    with pytest.raises(DomainError, match="更正后可用余额将为 -0.01 元") as exc:
        fs.ledger_correct(fund=fund, actor=small.street_staff, amount="-2000.01", reason="多记")
    assert exc.value.code == "shortfall"
    entry = fs.ledger_correct(fund=fund, actor=small.street_staff, amount="-2000.00", reason="多记",
                              corrects=fund.entries.get(seq=1))
    assert entry.corrects.seq == 1 and sel.fund_available(fund) == D("0.00")
    with pytest.raises(DomainError, match="不能是负数|必须大于 0"):
        fs.fund_allocate(fund=fund, actor=small.street_staff, amount="-1")


def test_r15_correction_must_name_an_entry_of_the_same_fund(small):
    fund = make_fund(small, "1000.00")
    other = fs.fund_create(community=small.community, year=fund.year, kind=FundKind.FOUNDATION,
                           actor=small.street_staff)
    with pytest.raises(DomainError, match="不属于这个资金账户"):
        fs.ledger_correct(fund=other, actor=small.street_staff, amount="1.00", reason="x",
                          corrects=fund.entries.first())


def test_r15_only_street_staff_move_fund_money(small):
    fund = make_fund(small, "1000.00")
    outsider = build_world(group_seats=3, community_seats=3, prefix="外").street_staff
    for who in (small.staff, small.supervisor, small.group_members[0], outsider):
        with pytest.raises(PermissionDenied):
            fs.fund_allocate(fund=fund, actor=who, amount="1.00")
        with pytest.raises(PermissionDenied):
            fs.fund_donate(fund=fund, actor=who, amount="1.00", donor="x")
        with pytest.raises(PermissionDenied):
            fs.ledger_correct(fund=fund, actor=who, amount="1.00", reason="x")
    assert fund.entries.count() == 1


def test_r15_fund_creation_rules(small):
    fund = make_fund(small, "0")
    assert fund.share_cap_percent == D("50.00")
    assert fund.negative_list == [Category.PROPERTY_FEE, Category.GOVERNMENT_DUTY, Category.SALARY]
    with pytest.raises(DomainError, match="已经存在"):
        fs.fund_create(community=small.community, year=fund.year, actor=small.street_staff)
    with pytest.raises(DomainError, match="不能超过 100%"):
        fs.fund_create(community=small.community, year=fund.year + 1, actor=small.street_staff,
                       share_cap_percent="100.01")
    with pytest.raises(DomainError, match="未知的类别"):
        fs.fund_create(community=small.community, year=fund.year + 1, actor=small.street_staff,
                       negative_list=["casino"])


def test_r14_ledger_entries_cannot_be_changed_through_the_orm(small):
    fund = make_fund(small, "1000.00")
    entry = fund.entries.get()
    entry.memo = "改过"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(memo="改过")
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()


def test_r14_ledger_update_refused_by_the_database(small):
    fund = make_fund(small, "1000.00")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET balance_delta = 1000000 WHERE fund_id = %s", [fund.pk])
    assert sel.fund_balance(fund) == D("1000.00")


def test_r15_entry_signs_enforced_by_the_database(small):
    fund = make_fund(small, "1000.00")
    bad = LedgerEntry(fund=fund, seq=99, kind=EntryKind.ALLOCATION, balance_delta=D("-5.00"),
                      reserved_delta=D("0.00"), prev_hash="x", hash="y")
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save(force_insert=True)
    bad = LedgerEntry(fund=fund, seq=99, kind=EntryKind.RESERVATION, balance_delta=D("0.00"),
                      reserved_delta=D("5.00"), prev_hash="x", hash="y")  # a reservation needs its proposal
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save(force_insert=True)


def test_r14_verify_history_names_a_tampered_ledger_row(small):
    assert "fund_ledger" in CHAINS
    fund = make_fund(small, "300000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    call_command("verify_history")  # clean before
    allocation = fund.entries.get(seq=1)
    disable_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET balance_delta = 3000000 WHERE id = %s", [allocation.pk])
    assert sel.fund_balance(fund) == D("3000000.00")  # the tampered sum is what a page would show
    (report,) = list(verify_fund_chains())
    assert report[0] == fund.pk and report[2].pk == allocation.pk and "content" in report[3]
    with pytest.raises(CommandError) as exc:
        call_command("verify_history")
    message = str(exc.value)
    assert "fund_ledger" in message and f"fund {fund.pk}" in message
    assert "seq 1" in message and f"row pk {allocation.pk}" in message


def test_r14_verify_history_names_a_removed_ledger_row(small):
    fund = make_fund(small, "1000.00")
    fs.fund_allocate(fund=fund, actor=small.street_staff, amount="2000.00")
    fs.fund_allocate(fund=fund, actor=small.street_staff, amount="3000.00")
    middle = fund.entries.get(seq=2)
    disable_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [middle.pk])
    (report,) = list(verify_fund_chains([fund]))
    assert report[2].seq == 3 and "missing" in report[3]
    with pytest.raises(CommandError, match=f"fund {fund.pk}, seq 3"):
        call_command("verify_history", chain=["fund_ledger"])
