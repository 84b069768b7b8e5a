"""R15 and R10 under real concurrency (PostgreSQL, threads, one connection each).

The fund row lock serialises reservations, so a fund that covers exactly ten
projects gives exactly ten reservations however many arrive at once; the
proposal row lock and a unique constraint allow one release per proposal.
"""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind
from funding.ledger import entry_write, lock_fund, verify_fund_chains
from funding.models import Fund, LedgerEntry
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Proposal
from tests.funding_support import D, contribute, drive_to_approved, make_fund, old_world
from yishi.errors import DomainError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SMALL_LINES = [("单元门禁维修", 1, "项", "2000.00")]


def run_at_once(count, work):
    """Run ``work(n)`` in ``count`` threads released together; collect what each returned or raised."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def runner(n):
        try:
            barrier.wait(timeout=30)
            results[n] = work(n)
        except DomainError as exc:
            results[n] = exc.code
        except Exception as exc:  # noqa: BLE001 — reported in the assertion, not swallowed
            results[n] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def test_r15_thirty_concurrent_reservations_from_a_fund_for_ten(postgres):
    world = old_world(group_seats=3, community_seats=3)
    fund = make_fund(world, "10000.00")
    proposals = [
        ps.proposal_create(author=world.author, group=world.group, title=f"门禁{n + 1}", summary="门禁维修",
                           lines=SMALL_LINES, community_share="1000.00")
        for n in range(30)
    ]
    # Arrange only: the way to APPROVED is tested elsewhere (tests/funding_support.drive_to_approved);
    # thirty full runs through notice and ballots would only make this race slower to set up.
    Proposal.objects.filter(pk__in=[p.pk for p in proposals]).update(status=S.APPROVED)

    def approve(n):
        fs.budget_approve(proposal=Proposal.objects.get(pk=proposals[n].pk), reviewer=world.street_staff)
        return "ok"

    results = run_at_once(30, approve)
    assert results.count("ok") == 10, results
    assert results.count("shortfall") == 20, results
    assert sel.fund_available(fund) == D("0.00")
    assert sel.fund_reserved(fund) == D("10000.00") and sel.fund_balance(fund) == D("10000.00")
    assert LedgerEntry.objects.filter(fund=fund, kind=EntryKind.RESERVATION).count() == 10
    assert Proposal.objects.filter(status=S.FUNDED).count() == 10
    assert Proposal.objects.filter(status=S.APPROVED).count() == 20
    # The chain stayed in order under the race: seq 1 (allocation) .. 11, every link good.
    assert list(fund.entries.order_by("seq").values_list("seq", flat=True)) == list(range(1, 12))
    assert [(checked, bad) for _f, checked, bad, _why in verify_fund_chains([fund])] == [(11, None)]


def test_r10_twenty_concurrent_releases_give_one_entry(postgres):
    world = old_world(group_seats=3, community_seats=3)
    fund = make_fund(world, "100000.00")
    p = drive_to_approved(world)
    fs.budget_approve(proposal=p, reviewer=world.street_staff)
    contribute(world, p, "18000.00", households=3)

    def release(n):
        fs.funds_release(proposal=Proposal.objects.get(pk=p.pk), actor=world.street_staff)
        return "ok"

    results = run_at_once(20, release)
    assert results.count("ok") == 1, results
    assert results.count("release_blocked") == 19, results
    assert LedgerEntry.objects.filter(proposal=p, kind=EntryKind.RELEASE).count() == 1
    assert sel.fund_balance(fund) == D("82000.00") and sel.fund_available(fund) == D("82000.00")
    p.refresh_from_db()
    assert p.status == S.RELEASED and p.events.filter(kind="funds_released").count() == 1


def test_r10_release_constraint_holds_without_the_service_check(postgres):
    """Writers that skip every check still cannot book two releases: the database refuses."""
    world = old_world(group_seats=3, community_seats=3)
    fund = make_fund(world, "100000.00")
    p = drive_to_approved(world)
    fs.budget_approve(proposal=p, reviewer=world.street_staff)

    def raw_release(n):
        try:
            with transaction.atomic():
                locked = lock_fund(Fund.objects.get(pk=fund.pk))
                entry_write(fund=locked, kind=EntryKind.RELEASE, balance_delta="-18000.00",
                            reserved_delta="-18000.00", proposal=p)
            return "ok"
        except IntegrityError:
            return "integrity"

    results = run_at_once(10, raw_release)
    assert results.count("ok") == 1 and results.count("integrity") == 9, results
    assert LedgerEntry.objects.filter(proposal=p, kind=EntryKind.RELEASE).count() == 1
