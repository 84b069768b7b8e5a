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

from elections.models import BallotPaper
from funding.selectors import current_year
from grants import services as gs
from needs import services as ns
from tests.election_support import cast_all, close, open_election, roll_users
from tests.factories import UserFactory
from tests.opendata_support import (
    MEMBER,
    ON_BEHALF,
    RAISER,
    SECRET_ADDRESS,
    SECRET_PHONE,
    sanshe_world,
)
from tests.sanshe_support import apply_in_past, old_world, open_call, organisation, score_fully

pytestmark = pytest.mark.django_db

NEW_ENDPOINTS = ["needs", "projects", "organisations", "grant-calls", "grant-awards", "elections"]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sanshe(db):
    return sanshe_world()


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
