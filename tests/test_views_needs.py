"""The needs, project, organisation and micro-grant pages: permission matrix, privacy, query counts."""

import pytest
from django.urls import reverse
from django.utils import timezone

from needs import services as ns
from needs.enums import ClaimStatus, NeedStatus, ProjectStatus
from needs.models import Claim, Need, NeedSupport, ServiceRating
from tests.factories import UserFactory, build_world
from tests.sanshe_support import claimed_project, need, organisation, project

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(db):
    return build_world(community_seats=3)


def login(client, user):
    client.force_login(user)
    return client


def test_public_ledger_shows_text_never_the_raiser(client, w):
    n = need(w, text="楼道灯坏了很久")
    response = client.get(reverse("needs:ledger") + f"?community={w.community.slug}")
    body = response.content.decode()
    assert response.status_code == 200 and "楼道灯坏了很久" in body
    assert n.resident.full_name not in body


def test_resident_raises_a_need_in_one_form(client, w):
    login(client, w.residents[0])
    response = client.post(reverse("needs:raise"), {"category": "elderly", "text": "想要老年食堂"})
    assert response.status_code == 302
    assert Need.objects.get().text == "想要老年食堂"


def test_raise_page_permission_matrix(client, w):
    assert client.get(reverse("needs:raise")).status_code == 302  # anonymous: to login
    login(client, UserFactory())
    assert client.get(reverse("needs:raise")).status_code == 403
    client.logout()
    login(client, w.residents[0])
    assert client.get(reverse("needs:raise")).status_code == 200


def test_support_button_with_htmx_and_own_need_refused(client, w):
    n = need(w, resident=w.residents[0])
    login(client, w.residents[1])
    response = client.post(reverse("needs:support", args=[n.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "1 人也需要" in response.content.decode()
    client.logout()
    login(client, w.residents[0])
    client.post(reverse("needs:support", args=[n.pk]))
    assert NeedSupport.objects.count() == 1
    assert client.get(reverse("needs:support", args=[n.pk])).status_code == 405


def test_staff_ledger_permission_matrix(client, w):
    other = build_world(community_seats=3, prefix="外")
    url = reverse("needs:staff")
    assert client.get(url).status_code == 302
    login(client, w.residents[0])
    assert client.get(url).status_code == 403
    client.logout()
    login(client, other.staff)
    assert client.get(url + f"?community={w.community.slug}").status_code == 404
    client.logout()
    login(client, w.staff)
    assert client.get(url + "?overdue=on&category=elderly&channel=online&status=open").status_code == 200


def test_staff_record_on_behalf_and_answer_through_pages(client, w):
    login(client, w.staff)
    response = client.post(reverse("needs:staff_record"), {
        "community": w.community.slug, "channel": "home_visit", "resident": w.residents[2].username,
        "category": "home_repair", "text": "水管漏水"})
    assert response.status_code == 302
    n = Need.objects.get()
    assert n.resident == w.residents[2] and n.recorded_by == w.staff and n.channel == "home_visit"
    client.post(reverse("needs:answer", args=[n.pk]), {"decision": "decline", "reason": ""})
    n.refresh_from_db()
    assert n.status == NeedStatus.OPEN  # refused: a decline needs a reason
    client.post(reverse("needs:answer", args=[n.pk]), {"decision": "decline", "reason": "已转物业维修"})
    n.refresh_from_db()
    assert n.status == NeedStatus.DECLINED


def test_answer_by_other_community_staff_is_forbidden(client, w):
    other = build_world(community_seats=3, prefix="外")
    n = need(w)
    login(client, other.staff)
    assert client.post(reverse("needs:answer", args=[n.pk]), {"decision": "decline", "reason": "x"}).status_code == 403
    n.refresh_from_db()
    assert n.status == NeedStatus.OPEN


def test_project_walk_through_pages(client, w):
    n = need(w, resident=w.residents[0])
    login(client, w.staff)
    today = timezone.localdate().isoformat()
    response = client.post(reverse("needs:staff_project"), {
        "community": w.community.slug, "needs": [n.pk], "title": "长寿食坊", "description": "老人午餐",
        "people_target": 40, "starts_on": today, "ends_on": today})
    assert response.status_code == 302
    p = n.__class__.objects.get(pk=n.pk).project
    org = organisation(w)
    client.logout()
    login(client, org.admin)
    client.post(reverse("needs:claim", args=[p.pk]), {"organisation": org.pk, "plan": "每天中午供餐"})
    claim = Claim.objects.get()
    client.logout()
    login(client, w.staff)
    client.post(reverse("needs:confirm", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED
    client.logout()
    login(client, org.admin)
    client.post(reverse("needs:service", args=[p.pk]), {"served_on": today, "people_served": 30, "hours": "2.0",
                                                          "volunteers": 3, "notes": ""})
    client.post(reverse("needs:complete", args=[p.pk]), {"report": "服务 30 人次"})
    p.refresh_from_db()
    assert p.status == ProjectStatus.COMPLETED
    client.logout()
    login(client, w.residents[0])
    client.post(reverse("needs:rate", args=[p.pk]), {"stars": 5})
    assert ServiceRating.objects.get().stars == 5


def test_confirm_by_a_resident_is_forbidden(client, w):
    p = project(w)
    org = organisation(w)
    claim = ns.project_claim(project=p, organisation=org, actor=org.admin, plan="x")
    login(client, w.residents[0])
    assert client.post(reverse("needs:confirm", args=[claim.pk])).status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_overdue_page_permission_matrix(client, w):
    url = reverse("needs:overdue")
    assert client.get(url).status_code == 302
    login(client, w.residents[0])
    assert client.get(url).status_code == 403
    client.logout()
    login(client, w.supervisor)
    assert client.get(url).status_code == 200


def _ledger_queries(client, w, django_assert_num_queries, count):
    for k in range(count):
        need(w, text=f"需求{k}", resident=w.residents[k % len(w.residents)])
    url = reverse("needs:ledger") + f"?community={w.community.slug}"
    client.get(url)  # warm caches (content types, sessions)
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


def test_public_ledger_queries_do_not_grow_with_one(client, w, django_assert_num_queries):
    _ledger_queries(client, w, django_assert_num_queries, 1)


def test_public_ledger_queries_do_not_grow_with_three(client, w, django_assert_num_queries):
    _ledger_queries(client, w, django_assert_num_queries, 3)


@pytest.mark.parametrize("count", [1, 3])
def test_project_list_queries_do_not_grow(client, w, django_assert_num_queries, count):
    org = organisation(w)
    for k in range(count):
        p = project(w, needs=[need(w, text=f"需求{k}")], title=f"项目{k}")
        ns.claim_confirm(claim=ns.project_claim(project=p, organisation=org, actor=org.admin, plan="x"),
                         actor=w.staff)
    url = reverse("needs:projects") + f"?community={w.community.slug}"
    client.get(url)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert org.name in response.content.decode()


@pytest.mark.parametrize("count", [1, 3])
def test_organisation_directory_queries_do_not_grow(client, w, django_assert_num_queries, count):
    for k in range(count):
        organisation(w, f"组织{k}")
    client.get(reverse("organisations:directory"))
    with django_assert_num_queries(4):
        assert client.get(reverse("organisations:directory")).status_code == 200


def test_organisation_page_shows_no_member_names(client, w):
    p, org = claimed_project(w)
    body = client.get(reverse("organisations:detail", args=[org.pk])).content.decode()
    assert org.name in body and org.admin.full_name not in body and p.title in body
