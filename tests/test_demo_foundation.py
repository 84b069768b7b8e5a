"""The demo's community foundation (晋阳社区, R21): a year of donations, two projects, monthly accounts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from funding.enums import DonorKind, EntryKind, FundKind
from funding.foundation import month_bounds, purpose_left
from funding.ledger import verify_fund_chains
from funding.models import Donation, Fund, LedgerEntry, MonthlyAccount
from proposals.enums import Category
from proposals.enums import ProposalStatus as S
from tests.test_seed_demo import demo, seeded  # noqa: F401 — the module-scoped demo world

pytestmark = pytest.mark.django_db


def test_r21_demo_foundation_has_a_year_of_donations_projects_and_accounts(seeded, client):  # noqa: F811
    fund = Fund.objects.get(community__name="晋阳社区", kind=FundKind.FOUNDATION)
    donations = Donation.objects.filter(fund=fund)
    assert {DonorKind.RESIDENT, DonorKind.LOCAL_UNIT, DonorKind.ENTERPRISE, DonorKind.ANONYMOUS} <= set(
        donations.values_list("donor_kind", flat=True))
    assert donations.filter(reversed_at__isnull=False).count() == 1
    assert list(donations.order_by("receipt_no").values_list("receipt_no", flat=True)) == list(
        range(1, donations.count() + 1))
    released = LedgerEntry.objects.filter(fund=fund, kind=EntryKind.RELEASE).select_related("proposal")
    assert len(released) == 2 and all(e.proposal.status == S.RELEASED for e in released)
    elderly = purpose_left(fund)[("category", Category.ELDERLY)]
    assert elderly["spent"] > 0 and elderly["left"] >= 0
    accounts = MonthlyAccount.objects.filter(fund=fund).order_by("month")
    assert accounts.count() >= 5
    for account in accounts:
        _start, month_end = month_bounds(account.month)
        ledger = LedgerEntry.objects.filter(fund=fund, created_at__lt=month_end).aggregate(
            s=Sum("balance_delta"))["s"] or Decimal("0")
        assert Decimal(account.data["closing"]) == ledger, account.month
    assert all(bad is None and not why for _f, _n, bad, why in verify_fund_chains([fund]))
    page = client.get(reverse("funding:foundation", args=[fund.pk])).content.decode()
    assert "四川晋阳商贸有限公司" in page and "王建国" not in page
    first = accounts.first()
    assert client.get(reverse("funding:monthly_accounts", args=[fund.pk, first.month.year,
                                                                 first.month.month])).status_code == 200
    assert date(fund.year, 1, 1) <= first.month
