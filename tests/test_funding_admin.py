"""Funding in the Django admin: everything visible, ledger entries (and money records) read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from funding import services as fs
from funding.models import (
    Acceptance,
    Bid,
    BudgetReview,
    Contribution,
    Fund,
    LedgerEntry,
    Refund,
    Settlement,
)
from tests.factories import UserFactory
from tests.funding_support import drive_to_accepted, old_world


@pytest.fixture
def settled(db):
    world = old_world(group_seats=3, community_seats=3)
    p, fund = drive_to_accepted(world)
    fs.settlement_record(proposal=p, actor=world.group_members[0], actual_cost="34500.00")
    return world, p, fund


@pytest.fixture
def superuser_client(client, db):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


MODELS = [Fund, LedgerEntry, BudgetReview, Contribution, Bid, Acceptance, Settlement, Refund]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_funding_admin_lists_and_shows_every_record(settled, superuser_client, model):
    obj = model.objects.first()
    info = (model._meta.app_label, model._meta.model_name)
    assert superuser_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    assert superuser_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200


def test_funding_admin_ledger_entries_are_read_only(settled, superuser_client, rf):
    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    for model in MODELS[1:]:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, model.objects.first())
        assert not model_admin.has_delete_permission(request, model.objects.first())
    entry = LedgerEntry.objects.first()
    response = superuser_client.post(reverse("admin:funding_ledgerentry_change", args=[entry.pk]), {"memo": "x"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.memo != "x"
    fund_admin = admin.site._registry[Fund]
    assert not fund_admin.has_delete_permission(request, Fund.objects.first())
    assert {"community", "year", "kind"} <= set(fund_admin.get_readonly_fields(request, Fund.objects.first()))


def test_funding_admin_edits_the_funds_rules_not_its_money(settled, superuser_client):
    _world, _p, fund = settled
    url = reverse("admin:funding_fund_change", args=[fund.pk])
    response = superuser_client.post(url, {
        "share_cap_percent": "40.00", "negative_list": ["salary", "property_fee"],
        "entries-TOTAL_FORMS": "0", "entries-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    fund.refresh_from_db()
    assert fund.share_cap_percent == 40 and fund.negative_list == ["salary", "property_fee"]
    assert fund.entries.count() == 4


def test_funding_admin_cannot_add_a_fund_outside_the_service(superuser_client):
    """Issue 9, finding 9: funds are opened through fund_create (street staff), not the admin form."""
    from funding.models import Fund

    before = Fund.objects.count()
    assert superuser_client.get(reverse("admin:funding_fund_add")).status_code == 403
    response = superuser_client.post(reverse("admin:funding_fund_add"), {"year": 2026, "kind": "public_service"})
    assert response.status_code == 403
    assert Fund.objects.count() == before
