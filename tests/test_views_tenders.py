"""Pages of open tenders (R24): permission matrix (allowed, no right 403, outsider 404, anonymous),
refusals shown as sentences, and query counts that do not grow with the number of tenders or bids."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from funding import services as fs
from funding.models import BidderVote, Tender, TenderBid
from tests.factories import UserFactory
from tests.funding_support import old_world
from tests.sanshe_support import organisation
from tests.tender_support import after_close, after_voting, bid_all, bidders, drive_to_released, publish


@pytest.fixture
def w(db):
    return old_world(group_seats=3, community_seats=3)


@pytest.fixture
def other(db):
    return old_world(group_seats=3, community_seats=3, prefix="外")


@pytest.fixture
def released(w):
    p, _fund = drive_to_released(w)
    return p


def login(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


# --------------------------------------------------------------------------- publish


def test_publish_page_matrix(client, w, other, released):
    url = reverse("funding:tender_publish", args=["proposal", released.pk])
    login(client, w.group_members[0])
    assert client.get(url).status_code == 200
    login(client, w.residents[0])
    response = client.get(url)
    assert response.status_code == 403 and "议事会成员" in response.content.decode()
    login(client, other.group_members[0])
    assert client.get(url).status_code == 404
    login(client, None)
    assert client.get(url).status_code == 302


def test_publish_posts_and_refuses_with_a_sentence(client, w, released):
    url = reverse("funding:tender_publish", args=["proposal", released.pk])
    login(client, w.group_members[0])
    soon = timezone.localtime() + timedelta(hours=2)
    response = client.post(url, {"closes_at": soon.strftime("%Y-%m-%dT%H:%M"), "voting_days": 3,
                                 "requirements": "工期 30 天"})
    assert response.status_code == 400 and "24 小时" in response.content.decode()
    assert not Tender.objects.exists()
    later = timezone.localtime() + timedelta(days=3)
    response = client.post(url, {"closes_at": later.strftime("%Y-%m-%dT%H:%M"), "voting_days": 3,
                                 "requirements": "工期 30 天"})
    tender = Tender.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("funding:tender", args=[tender.pk])


# --------------------------------------------------------------------------- bid


def test_bid_form_posts_for_an_admin_and_refuses_a_second_bid(client, w, released):
    tender = publish(w, released)
    org = organisation(w, "北苑邻里互助社")
    login(client, org.admin)
    page = client.get(reverse("funding:tender", args=[tender.pk])).content.decode()
    assert "提交投标" in page
    data = {"organisation": org.pk, "amount": "30000", "plan": "分三段施工", "qualifications": ""}
    assert client.post(reverse("funding:tender_bid", args=[tender.pk]), data).status_code == 302
    response = client.post(reverse("funding:tender_bid", args=[tender.pk]), {**data, "amount": "29000"})
    assert response.status_code == 400 and "每家只能投一次" in response.content.decode()
    assert TenderBid.objects.get().amount == 30000


def test_bid_by_someone_without_an_organisation_is_403(client, w, released):
    tender = publish(w, released)
    login(client, w.residents[0])
    response = client.post(reverse("funding:tender_bid", args=[tender.pk]),
                           {"organisation": 1, "amount": "1", "plan": "x"})
    assert response.status_code == 403


def test_bid_after_the_close_refused_with_a_sentence(client, w, released):
    tender = publish(w, released)
    org = organisation(w, "北苑邻里互助社")
    login(client, org.admin)
    with after_close(tender):
        response = client.post(reverse("funding:tender_bid", args=[tender.pk]),
                               {"organisation": org.pk, "amount": "30000", "plan": "方案"})
    # After the close the page has no bid form any more: the refusal is on the page that answers.
    assert response.status_code == 400 and "截止" in response.content.decode()
    assert not TenderBid.objects.exists()


# --------------------------------------------------------------------------- the residents' ballot


@pytest.fixture
def voting(w, released):
    tender = publish(w, released)
    bids = bid_all(tender, bidders(w))
    return tender, bids


def test_ballot_matrix(client, w, other, voting):
    tender, bids = voting
    url = reverse("funding:tender_ballot", args=[tender.pk])
    with after_close(tender):
        login(client, w.residents[0])
        page = client.get(url).content.decode()
        assert "为投标方投票" in page and bids[0].organisation.name in page
        login(client, w.staff)
        response = client.get(url)
        assert response.status_code == 403 and "核实居民" in response.content.decode()
        login(client, other.residents[0])
        assert client.get(url).status_code == 404
        login(client, None)
        assert client.get(url).status_code == 302


def test_ballot_confirm_then_vote_once(client, w, voting):
    tender, bids = voting
    url = reverse("funding:tender_ballot", args=[tender.pk])
    login(client, w.residents[0])
    with after_close(tender):
        confirm = client.get(url + f"?bid={bids[1].pk}").content.decode()
        assert "您确定投票给" in confirm and bids[1].organisation.name in confirm
        assert client.post(reverse("funding:tender_vote", args=[tender.pk]), {"bid": bids[1].pk}).status_code == 302
        response = client.post(reverse("funding:tender_vote", args=[tender.pk]), {"bid": bids[0].pk}, follow=True)
        assert "每人只能投一票" in response.content.decode()
    assert list(BidderVote.objects.values_list("bid", flat=True)) == [bids[1].pk]


def test_ballot_before_the_close_shows_no_bidder(client, w, voting):
    tender, bids = voting
    login(client, w.residents[0])
    page = client.get(reverse("funding:tender_ballot", args=[tender.pk])).content.decode()
    assert "截止后公开报价" in page
    assert not any(b.organisation.name in page for b in bids)


# --------------------------------------------------------------------------- selection


def test_select_matrix_and_reason(client, w, voting):
    tender, bids = voting
    url = reverse("funding:tender_select", args=[tender.pk])
    with after_close(tender):
        fs.bidder_vote(tender=tender, resident=w.residents[0], bid=bids[0])
    with after_voting(tender):
        login(client, w.residents[0])
        assert client.post(url, {"bid": bids[2].pk}).status_code == 403
        login(client, w.group_members[0])
        page = client.get(reverse("funding:tender", args=[tender.pk])).content.decode()
        assert "确定中标方" in page and "得票最多" in page and "最低价" in page
        data = {"bid": bids[2].pk, "panel": [w.group_members[0].pk, w.supervisor.pk], "reason": ""}
        response = client.post(url, data)
        assert response.status_code == 400 and "请写明选择理由" in response.content.decode()
        assert client.post(url, {**data, "reason": "工期最短"}).status_code == 302
    bids[2].refresh_from_db()
    assert bids[2].selected_at is not None


# --------------------------------------------------------------------------- query counts


@pytest.mark.parametrize("count", [1, 3])
def test_tender_list_queries_do_not_grow(client, w, django_assert_num_queries, count):
    firms = bidders(w)
    for n in range(count):
        p, _fund = drive_to_released(w, title=f"项目{n}")
        bid_all(publish(w, p), firms)
    url = reverse("funding:tenders")
    client.get(url)
    with django_assert_num_queries(2):  # the count for the pager, the page with bid counts
        response = client.get(url)
    assert response.content.decode().count("已有 3 家投标") == count


@pytest.mark.parametrize("count", [1, 3])
def test_tender_page_after_the_close_queries_do_not_grow(client, w, django_assert_num_queries, count):
    p, _fund = drive_to_released(w)
    tender = publish(w, p)
    bid_all(tender, bidders(w)[:count], ("35200.00", "34800.00", "35900.00")[:count])
    url = reverse("funding:tender", args=[tender.pk])
    with after_close(tender):
        client.get(url)
        with django_assert_num_queries(4):  # tender, bid count, votes per bid, bids with organisations
            response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<td class="num">') == 2 * count  # amount and votes, per bid


def test_tender_pages_answer_404_for_unknown(client, db):
    assert client.get(reverse("funding:tender", args=[999])).status_code == 404
    login(client, UserFactory())
    assert client.get(reverse("funding:tender_publish", args=["proposal", 999])).status_code == 404
    assert client.get(reverse("funding:tender_publish", args=["nothing", 1])).status_code == 404
