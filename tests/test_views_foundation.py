"""Community foundation pages (R21): public page, donation record, receipt, monthly accounts, staff recording."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from funding import services as fs
from funding.enums import DonorKind, FundKind
from funding.foundation import monthly_account_post
from funding.models import Donation, MonthlyAccount
from funding.selectors import current_year
from proposals.enums import Category
from tests.factories import UserFactory
from tests.funding_support import old_world
from tests.test_views_funding import as_user, assert_login_redirect, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return old_world(group_seats=3, community_seats=3)


@pytest.fixture
def fund(w):
    return fs.fund_create(community=w.community, year=current_year(), actor=w.street_staff, kind=FundKind.FOUNDATION)


def give(w, fund, amount="100.00", *, name="张秀英", publish=False, kind=DonorKind.RESIDENT, purpose=None):
    return fs.donation_record(
        fund=fund, actor=w.staff, donor_kind=kind, donor_name="" if kind == DonorKind.ANONYMOUS else name,
        amount=amount, method="cash", paid_on=timezone.localdate(), publish_name=publish, purpose=purpose,
    )


def urls(fund, d):
    return {
        "manage": reverse("funding:donations_manage", args=[fund.pk]),
        "receipt": reverse("funding:donation_receipt", args=[fund.pk, d.receipt_no]),
    }


# --------------------------------------------------------------------------- permission matrix


def test_r21_manage_pages_permission_matrix(client, w, fund):
    d = give(w, fund)
    other = old_world(group_seats=3, community_seats=3, prefix="外")
    manager = UserFactory(full_name="基金管理人")
    fund.managers.add(manager)
    for url in urls(fund, d).values():
        client.logout()
        assert_login_redirect(client.get(url))
        assert as_user(client, w.staff).get(url).status_code == 200
        assert as_user(client, manager).get(url).status_code == 200
        assert as_user(client, w.residents[0]).get(url).status_code == 403  # in the community: the reason
        assert as_user(client, w.street_staff).get(url).status_code == 403
        assert as_user(client, other.staff).get(url).status_code == 404  # another community's staff
    add = reverse("funding:donation_add", args=[fund.pk])
    assert as_user(client, w.staff).get(add).status_code == 405
    response = as_user(client, w.residents[0]).post(add, {"donor_kind": "resident", "donor_name": "x",
                                                          "amount": "1", "method": "cash",
                                                          "paid_on": timezone.localdate().isoformat()})
    assert response.status_code == 403 and Donation.objects.count() == 1


def test_r21_public_pages_open_to_anyone_and_only_for_foundations(client, w, fund):
    d = give(w, fund)
    public = fs.fund_create(community=w.community, year=current_year(), actor=w.street_staff)
    assert client.get(reverse("funding:foundation", args=[fund.pk])).status_code == 200
    assert client.get(reverse("funding:donation_public", args=[fund.pk, d.receipt_no])).status_code == 200
    assert client.get(reverse("funding:foundation", args=[public.pk])).status_code == 404
    assert client.get(reverse("funding:donation_public", args=[fund.pk, 99])).status_code == 404


# --------------------------------------------------------------------------- recording through the page


def test_r21_staff_record_a_donation_and_get_the_receipt(client, w, fund):
    as_user(client, w.staff)
    response = client.post(reverse("funding:donation_add", args=[fund.pk]), {
        "donor_kind": "enterprise", "donor_name": " 晋阳商贸有限公司 ", "amount": "10,000.50", "method": "transfer",
        "paid_on": timezone.localdate().isoformat(), "publish_name": "on", "purpose_category": Category.ELDERLY,
    })
    d = Donation.objects.get()
    assert response.status_code == 302 and response.url == urls(fund, d)["receipt"]
    assert (d.donor_name, str(d.amount), d.purpose_category, d.publish_name) == (
        "晋阳商贸有限公司", "10000.50", Category.ELDERLY, True)
    body = client.get(response.url).content.decode()
    assert "壹万元伍角" in body and f"{fund.year}-0001" in body and "<svg" in body
    assert reverse("funding:donation_public", args=[fund.pk, 1]) in body


@pytest.mark.parametrize(
    ("post", "field_error"),
    [
        ({"donor_kind": "anonymous", "donor_name": "王大爷"}, "匿名捐赠不登记姓名"),
        ({"donor_kind": "resident", "donor_name": ""}, "请填写捐赠人姓名或名称"),
        ({"amount": "abc"}, "请填写数字金额"),
        ({"amount": "0"}, "金额不能小于"),
        ({"purpose_category": "elderly", "purpose_proposal": "PROPOSAL"}, "指定用途只能选一项"),
        ({"paid_on": "2001-01-01"}, "不在"),
    ],
)
def test_r21_donation_form_refuses_bad_input_and_changes_nothing(client, w, fund, post, field_error):
    from tests.funding_support import drive_to_notice

    data = {"donor_kind": "resident", "donor_name": "张秀英", "amount": "50", "method": "cash",
            "paid_on": timezone.localdate().isoformat()} | post
    if data.get("purpose_proposal") == "PROPOSAL":
        data["purpose_proposal"] = drive_to_notice(w).pk
    response = as_user(client, w.staff).post(reverse("funding:donation_add", args=[fund.pk]), data)
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert not Donation.objects.exists()


def test_r21_reverse_through_the_page_needs_a_reason(client, w, fund):
    d = give(w, fund)
    url = reverse("funding:donation_reverse", args=[fund.pk, d.receipt_no])
    as_user(client, w.staff).post(url, {"reason": "  "})
    d.refresh_from_db()
    assert not d.is_reversed
    client.post(url, {"reason": "重复登记"})
    d.refresh_from_db()
    assert d.is_reversed and d.reversal_reason == "重复登记"


def test_r21_settings_show_on_the_public_page(client, w, fund):
    as_user(client, w.staff).post(reverse("funding:foundation_settings", args=[fund.pk]), {
        "purpose_text": "为老服务和院落微更新", "giving_text": "开户行：成都银行晋阳支行", "giving_qr_text": "wxp://f2f0example",
    })
    body = client.get(reverse("funding:foundation", args=[fund.pk])).content.decode()
    assert "为老服务和院落微更新" in body and "成都银行晋阳支行" in body and "<svg" in body


# --------------------------------------------------------------------------- consent on public pages


def test_r21_public_pages_show_names_only_with_consent(client, w, fund):
    hidden = give(w, fund, name="不愿具名的王淑芬")
    give(w, fund, name="晋阳派出所", kind=DonorKind.LOCAL_UNIT, publish=True)
    page = client.get(reverse("funding:foundation", args=[fund.pk])).content.decode()
    record = client.get(reverse("funding:donation_public", args=[fund.pk, hidden.receipt_no])).content.decode()
    assert "晋阳派出所" in page
    assert "王淑芬" not in page and "王淑芬" not in record and "居民（未公开姓名）" in record


# --------------------------------------------------------------------------- monthly accounts page


def test_r21_monthly_accounts_page_prints_the_chain_head(client, w, fund):
    import time_machine

    give(w, fund, "2500.50", name="晋阳商贸有限公司", kind=DonorKind.ENTERPRISE, publish=True)
    this_month = timezone.localdate().replace(day=1)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=32)):
        account = monthly_account_post(fund=fund, month=this_month)
    url = reverse("funding:monthly_accounts", args=[fund.pk, this_month.year, this_month.month])
    body = client.get(url).content.decode()
    assert account.chain_head in body and "2500.50" in body and "晋阳商贸有限公司" in body
    assert client.get(reverse("funding:monthly_accounts", args=[fund.pk, 2001, 13])).status_code == 404
    assert MonthlyAccount.objects.count() == 1
    assert date(this_month.year, this_month.month, 1) == account.month


# --------------------------------------------------------------------------- query counts


def test_r21_public_page_queries_constant(client, w, fund, django_assert_num_queries):
    give(w, fund, publish=True, purpose=Category.ELDERLY)
    url = reverse("funding:foundation", args=[fund.pk])
    n = count_queries(client, url)
    give(w, fund, name="乙", publish=True, purpose=Category.CULTURE)
    give(w, fund, name="丙", publish=True)
    with django_assert_num_queries(n):
        response = client.get(url)
    assert response.content.decode().count("/donations/") >= 3


def test_r21_manage_page_queries_constant(client, w, fund, django_assert_num_queries):
    give(w, fund)
    as_user(client, w.staff)
    url = reverse("funding:donations_manage", args=[fund.pk])
    n = count_queries(client, url)
    give(w, fund, name="乙", purpose=Category.CULTURE)
    give(w, fund, name="丙")
    with django_assert_num_queries(n):
        response = client.get(url)
    assert "丙" in response.content.decode()


def test_r21_foundation_list_is_public_and_queries_constant(client, w, fund, django_assert_num_queries):
    url = reverse("funding:foundations")
    n = count_queries(client, url)
    fs.fund_create(community=w.community, year=current_year() - 1, actor=w.street_staff, kind=FundKind.FOUNDATION)
    fs.fund_create(community=w.community, year=current_year() - 2, actor=w.street_staff, kind=FundKind.FOUNDATION)
    fs.fund_create(community=w.community, year=current_year(), actor=w.street_staff)  # public service: not listed
    with django_assert_num_queries(n):
        body = client.get(url).content.decode()
    assert body.count("/foundations/") >= 3
    assert reverse("funding:foundation", args=[fund.pk]) in body
