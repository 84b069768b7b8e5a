"""Micro-grant pages: the whole call through the pages, the permission matrix, query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grants import services as gs
from grants.enums import AwardStatus, CallStatus
from grants.models import GrantAward, GrantCall
from tests.factories import build_world
from tests.sanshe_support import (
    make_fund,
    old_world,
    open_call,
    org_application,
    organisation,
    score_fully,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)


@pytest.fixture
def setting(db):
    world = old_world(community_seats=3)
    fund = make_fund(world, "100000.00")
    return world, fund


def test_staff_open_a_call_through_the_page(client, setting):
    world, fund = setting
    login(client, world.staff)
    close_at = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("grants:open"), {
        "community": world.community.slug, "title": "公益微创投", "pool": "30000", "cap": "3000",
        "applications_close": close_at, "ends_on": (timezone.localdate() + timedelta(days=90)).isoformat()})
    call = GrantCall.objects.get()
    assert response.status_code == 302 and call.pool == 30000


def test_open_call_permission_matrix(client, setting):
    world, fund = setting
    other = build_world(community_seats=3, prefix="外")
    data = {"community": world.community.slug, "title": "x", "pool": "100", "cap": "100",
            "applications_close": "2030-01-01T10:00", "ends_on": "2030-02-01"}
    assert client.post(reverse("grants:open"), data).status_code == 302  # anonymous: to log in
    login(client, world.residents[0])
    assert client.post(reverse("grants:open"), data).status_code == 403
    client.logout()
    login(client, other.staff)
    assert client.post(reverse("grants:open"), data).status_code == 403
    assert not GrantCall.objects.exists()


def test_a_call_through_the_pages(client, setting):
    world, fund = setting
    call = open_call(world, fund)
    org = organisation(world)
    application = org_application(world, call, org)
    for reviewer in (world.staff, world.community_members[0], world.supervisor):
        client.logout()
        login(client, reviewer)
        client.post(reverse("grants:score", args=[application.pk]), {"score": 88, "comment": ""})
    assert application.scores.count() == 3
    client.logout()
    login(client, world.staff)
    client.post(reverse("grants:award", args=[application.pk]), {"amount": "3000.01"})
    assert not GrantAward.objects.exists()  # above the cap: refused, nothing changed
    client.post(reverse("grants:award", args=[application.pk]), {"amount": "3000.00"})
    award = GrantAward.objects.get()
    client.logout()
    login(client, org.admin)
    page = client.get(reverse("grants:call", args=[call.pk])).content.decode()
    assert "提交报告" in page
    client.post(reverse("grants:report", args=[award.pk]), {"people_served": 120, "spent": "2900", "report": "完成"})
    client.logout()
    login(client, world.staff)
    client.post(reverse("grants:accept", args=[award.pk]))
    award.refresh_from_db()
    assert award.status == AwardStatus.ACCEPTED and award.final_payment.balance_delta == -800


def test_award_accept_close_forbidden_to_others(client, setting):
    world, fund = setting
    call = open_call(world, fund)
    org = organisation(world)
    application = org_application(world, call, org)
    score_fully(world, application)
    award = gs.grant_award(application=application, actor=world.staff, amount="1000")
    login(client, org.admin)
    assert client.post(reverse("grants:award", args=[application.pk]), {"amount": "1"}).status_code == 403
    assert client.post(reverse("grants:accept", args=[award.pk])).status_code == 403
    assert client.post(reverse("grants:close", args=[call.pk])).status_code == 403
    call.refresh_from_db()
    assert call.status == CallStatus.OPEN
    assert client.get(reverse("grants:close", args=[call.pk])).status_code == 405


def test_public_call_page_shows_leverage_and_no_resident_names(client, setting):
    world, fund = setting
    call = open_call(world, fund)
    org = organisation(world)
    application = org_application(world, call, org, amount="2000.00", matched="3000.00")
    score_fully(world, application)
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    body = client.get(reverse("grants:call", args=[call.pk])).content.decode()
    assert "1.50" in body and org.name in body and org.admin.full_name not in body


@pytest.mark.parametrize("count", [1, 3])
def test_public_call_page_queries_do_not_grow(client, setting, django_assert_num_queries, count):
    world, fund = setting
    call = open_call(world, fund)
    for k in range(count):
        org = organisation(world, f"组织{k}")
        application = org_application(world, call, org, amount="1000.00")
        score_fully(world, application)
        gs.grant_award(application=application, actor=world.staff, amount="1000.00")
    url = reverse("grants:call", args=[call.pk])
    client.get(url)
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_calls_list_queries_do_not_grow(client, db, django_assert_num_queries, count):
    for k in range(count):
        world = old_world(community_seats=3, prefix=f"{k}")
        open_call(world, make_fund(world, "50000.00"))
    client.get(reverse("grants:calls"))
    with django_assert_num_queries(2):
        assert client.get(reverse("grants:calls")).status_code == 200


def test_supervisor_sees_every_grant_payment_in_the_fund_ledger(client, setting):
    world, fund = setting
    call = open_call(world, fund)
    org = organisation(world)
    application = org_application(world, call, org)
    score_fully(world, application)
    gs.grant_award(application=application, actor=world.staff, amount="3000.00")
    login(client, world.supervisor)
    body = client.get(reverse("funding:fund_detail", args=[fund.pk])).content.decode()
    assert "微创投资金池预留" in body and "微创投资助拨付" in body and "2,100.00" in body
    response = client.get(reverse("funding:ledger_export", args=[fund.pk, "csv"]))
    assert response.status_code == 200, response.status_code
    export = b"".join(response.streaming_content) if response.streaming else response.content
    assert "微创投资助拨付" in export.decode("utf-8-sig")
