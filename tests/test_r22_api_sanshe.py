"""R22 open data for the 三社联动 half: needs, service projects, organisations, micro-grants, election results.

Every endpoint, list and detail, with and without filters, and every bulk file is
searched for what must never be published: who raised a need (named, on whose
behalf, or through whom), phone numbers and addresses, an organisation's members,
the residents who applied for a grant, who voted in an election, and any ballot.
"""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from councils.models import Residency
from elections.models import BallotPaper
from funding.selectors import current_year
from grants import services as gs
from needs import services as ns
from tests.election_support import cast_all, close, open_election, roll_users
from tests.factories import UserFactory
from tests.sanshe_support import (
    apply_in_past,
    make_fund,
    old_world,
    open_call,
    organisation,
    residents,
    score_fully,
)

pytestmark = pytest.mark.django_db

SECRET_PHONE = "13900004321"
SECRET_ADDRESS = "秘密巷 7 号 2 单元 302"
RAISER = "秘密需求人赵大娘"
ON_BEHALF = "秘密代办对象钱大爷"
MEMBER = "秘密组织成员孙社工"
APPLICANT = "秘密联名居民"
NEW_ENDPOINTS = ["needs", "projects", "organisations", "grant-calls", "grant-awards", "elections"]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sanshe(db):
    w = old_world(group_seats=5, community_seats=3, residents=6)
    raiser, on_behalf, *others = w.residents
    raiser.full_name, on_behalf.full_name = RAISER, ON_BEHALF
    raiser.save(update_fields=["full_name"])
    on_behalf.save(update_fields=["full_name"])
    # Everybody's phone and address are secrets.
    everyone = [*w.group_members, *w.residents, *w.community_members, w.staff, w.supervisor]
    for user in everyone:
        user.phone = SECRET_PHONE
        user.save(update_fields=["phone"])
    Residency.objects.all().update(address=SECRET_ADDRESS)

    own = ns.need_raise(community=w.community, text="楼道灯坏了，晚上看不见", category="home_repair", actor=raiser)
    for_someone = ns.need_raise(community=w.community, text="独居老人吃饭不方便", category="elderly",
                                actor=w.staff, resident=on_behalf, channel="home_visit")
    anonymous = ns.need_raise(community=w.community, text="院坝积水", category="courtyard", actor=w.staff,
                              resident=None, channel="hotline")
    ns.need_support(need=for_someone, resident=others[0])
    ns.need_support(need=for_someone, resident=others[1])
    ns.need_answer(need=anonymous, actor=w.staff, decision="decline", reason="属于物业维修范围，已转物业")

    member = UserFactory(full_name=MEMBER, phone=SECRET_PHONE)
    org = organisation(w, name="睦林长者互助社", admin=member, kind="social_organisation",
                       credit_code="91350100M000100Y43")
    today = timezone.localdate()
    project = ns.service_project_list(
        community=w.community, actor=w.staff, title="长寿食坊", description="为老人提供午餐", needs=[for_someone],
        people_target=40, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=90),
    )
    claim = ns.project_claim(project=project, organisation=org, actor=member, plan="每天中午供餐")
    ns.claim_confirm(claim=claim, actor=w.staff)
    ns.service_record(project=project, actor=member, served_on=today, people_served=12, hours="3.5",
                      notes="送餐到户", volunteers=2)
    ns.service_record(project=project, actor=member, served_on=today, people_served=8, hours="2",
                      notes="堂食", volunteers=1)
    ns.project_complete(project=project, actor=member, report="三个月供餐 600 份")
    ns.service_rate(project=project, resident=others[0], stars=5)
    ns.service_rate(project=project, resident=others[1], stars=4)

    fund = make_fund(w, "50000.00")
    call = open_call(w, fund, pool="10000.00", cap="4000.00")
    org_app = apply_in_past(call, actor=member, title="长者午餐", plan="送餐", amount="4000.00",
                            matched="2000.00", organisation=org)
    people = residents(w, 3, prefix=APPLICANT)
    res_app = apply_in_past(call, actor=people[0], residents=people[1:], title="楼栋互助", plan="互助",
                            amount="1000.00", matched="500.00")
    for application in (org_app, res_app):
        score_fully(w, application)
    award = gs.grant_award(application=org_app, actor=w.staff, amount="4000.00")
    gs.grant_award(application=res_app, actor=w.staff, amount="1000.00")
    gs.grant_report(award=award, actor=member, people_served=30, spent="3800.00", report="送餐 300 份")

    election, candidates = open_election(w, seats=3, candidates=4)
    voters = [u for u in [*roll_users(w), *people] if u not in candidates]
    cast_all(election, [(v, candidates[:3]) for v in voters])
    close(election)
    return {"world": w, "needs": (own, for_someone, anonymous), "project": project, "org": org, "call": call,
            "award": award, "election": election, "candidates": candidates, "voters": voters,
            "applicants": people}


def secrets(data) -> list[str]:
    w = data["world"]
    names = [RAISER, ON_BEHALF, MEMBER, SECRET_PHONE, SECRET_ADDRESS, w.staff.display_name]
    names += [p.display_name for p in data["applicants"]]
    names += [v.display_name for v in data["voters"]]  # who voted is never published
    names += [str(p.pk) for p in BallotPaper.objects.all()]  # nor a ballot paper
    return names


def assert_clean(text: str, data):
    for secret in secrets(data):
        assert secret not in text, secret


def test_r22_sanshe_endpoints_publish_nothing_personal_whatever_the_query(client, sanshe):
    w = sanshe["world"]
    today = timezone.localdate().isoformat()
    queries = [{}, {"community": w.community.pk}, {"since": "2000-01-01", "until": "2100-01-01"},
               {"page_size": 200}, {"community": w.community.pk, "since": today}]
    seen = {}
    for endpoint in NEW_ENDPOINTS:
        for params in queries:
            response = client.get(f"/api/v1/{endpoint}", params)
            assert response.status_code == 200, (endpoint, params, response.content[:300])
            assert_clean(response.content.decode(), sanshe)
            if not params:
                seen[endpoint] = json.loads(response.content)["items"]
        for row in seen[endpoint]:
            response = client.get(f"/api/v1/{endpoint}/{row['id']}")
            assert response.status_code == 200
            assert_clean(response.content.decode(), sanshe)
            assert json.loads(response.content) == row  # the detail is the list's row
    for dataset in ("needs", "projects", "grant_calls", "grant_awards", "elections"):
        for fmt in ("csv", "json"):
            response = client.get(reverse("api-v1:bulk", args=[w.community.pk, current_year(), dataset, fmt]))
            assert response.status_code == 200, dataset
            body = b"".join(response.streaming_content).decode("utf-8-sig")
            assert_clean(body, sanshe)
            assert body.count("\n") >= 2 if fmt == "csv" else json.loads(body), dataset  # rows are there
    # The public parts are there.
    needs = {n["text"]: n for n in seen["needs"]}
    assert needs["独居老人吃饭不方便"]["support_count"] == 2
    assert needs["独居老人吃饭不方便"]["project"] == "长寿食坊" and needs["独居老人吃饭不方便"]["status"] == "met"
    assert needs["院坝积水"]["decline_reason"] == "属于物业维修范围，已转物业"
    assert set(needs["楼道灯坏了，晚上看不见"]) >= {"category", "status", "raised_at", "answered_at"}
    (project,) = seen["projects"]
    assert project["people_served"] == 20 and project["hours"] == "5.5"
    assert project["organisation"] == "睦林长者互助社" and project["claims"][0]["status"] == "confirmed"
    assert project["ratings"] == {"count": 2, "average": "4.50"}
    assert project["need_ids"] == [sanshe["needs"][1].pk]
    (org,) = seen["organisations"]
    assert org["credit_code"] == "91350100M000100Y43" and org["community_ids"] == [w.community.pk]
    (call,) = seen["grant-calls"]
    assert (call["awards"], call["awarded"], call["matched"], call["leverage"]) == (2, "5000.00", "2500.00", "0.50")
    awards = {a["title"]: a for a in seen["grant-awards"]}
    assert awards["长者午餐"]["organisation"] == "睦林长者互助社" and awards["长者午餐"]["people_served"] == 30
    assert awards["长者午餐"]["spent"] == "3800.00" and awards["长者午餐"]["leverage"] == "0.50"
    assert awards["楼栋互助"]["organisation"] is None  # residents who applied are not named
    (election,) = seen["elections"]
    names = sorted(c.display_name for c in sanshe["candidates"][:3])
    assert sorted(election["elected"]) == names
    (round_,) = election["rounds"]
    assert round_["ballots_cast"] == len(sanshe["voters"]) and round_["valid"] is True
    assert {c["name"] for c in round_["candidates"]} == {c.display_name for c in sanshe["candidates"]}
    assert "choices" not in json.dumps(election) and "voter" not in json.dumps(election)


def test_r22_sanshe_filters_narrow(client, sanshe):
    other = old_world(group_seats=3, community_seats=3, prefix="外")
    ns.need_raise(community=other.community, text="外社区的需求", category="other", actor=other.residents[0])
    assert client.get("/api/v1/needs").json()["count"] == 4
    assert client.get("/api/v1/needs", {"community": other.community.pk}).json()["count"] == 1
    assert client.get("/api/v1/needs", {"until": "2000-01-01"}).json()["count"] == 0
    for endpoint in NEW_ENDPOINTS:
        assert client.get(f"/api/v1/{endpoint}", {"community": other.community.pk + 1000}).json()["count"] == 0
        assert client.get(f"/api/v1/{endpoint}", {"since": "not-a-date"}).status_code == 422
    assert client.get("/api/v1/organisations", {"community": sanshe["world"].community.pk}).json()["count"] == 1
    page = client.get("/api/v1/needs", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 4 and len(page["items"]) == 2


def test_r22_sanshe_unknown_or_unpublished_rows_are_not_found(client, sanshe):
    from elections.models import Election

    running, _people = open_election(sanshe["world"], seats=3, candidates=4)  # the next term's, not yet counted
    for endpoint in NEW_ENDPOINTS:
        assert client.get(f"/api/v1/{endpoint}/999999").status_code == 404
    assert Election.objects.count() == 2
    assert client.get(f"/api/v1/elections/{running.pk}").status_code == 404
    assert client.get("/api/v1/elections").json()["count"] == 1


def test_r22_sanshe_list_queries_constant_in_items(client, sanshe, django_assert_num_queries):
    counts = {}
    for endpoint in NEW_ENDPOINTS:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/{endpoint}").status_code == 200
        counts[endpoint] = len(ctx.captured_queries)
    w = sanshe["world"]
    member = sanshe["org"].admin
    more = organisation(w, name="晋阳书画社", admin=UserFactory(full_name="书画社负责人"))
    for n in range(3):
        need = ns.need_raise(community=w.community, text=f"需求{n}", category="culture", actor=w.residents[2])
        ns.need_support(need=need, resident=w.residents[3])
        today = timezone.localdate()
        project = ns.service_project_list(
            community=w.community, actor=w.staff, title=f"项目{n}", description="活动", needs=[need],
            people_target=10, starts_on=today, ends_on=today + timedelta(days=30),
        )
        ns.project_claim(project=project, organisation=more, actor=more.admin, plan="每周一次")
    call = open_call(w, sanshe["call"].fund, pool="5000.00", cap="2000.00")
    application = apply_in_past(call, actor=member, title="另一个项目", plan="计划", amount="2000.00",
                                matched="100.00", organisation=sanshe["org"])
    score_fully(w, application)
    gs.grant_award(application=application, actor=w.staff, amount="2000.00")
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        election, people = open_election(w, seats=3, candidates=4)
        voters = [u for u in roll_users(w) if u not in people]
        cast_all(election, [(v, people[:3]) for v in voters])
        close(election)
    for endpoint in NEW_ENDPOINTS:
        with django_assert_num_queries(counts[endpoint]):
            response = client.get(f"/api/v1/{endpoint}")
            assert response.status_code == 200 and response.json()["count"] > 1, endpoint
