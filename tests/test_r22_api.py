"""R22 open data: read-only, paginated, cacheable, throttled; nothing personal in any answer, whatever the query."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from councils.models import Residency
from funding import services as fs
from funding.enums import DonorKind, FundKind
from funding.selectors import current_year
from proposals import services as ps
from tests.factories import BACK_GATE_LINES
from tests.funding_support import contribute, drive_to_approved, make_fund, old_world

pytestmark = pytest.mark.django_db

SECRET_PHONE = "13900001234"
SECRET_ADDRESS = "秘密巷 9 号 3 单元 501"
SECRET_CONTRIBUTOR = "缴款人钱多多"
SECRET_DONOR = "不愿具名的孙淑贞"
SECRET_DRAFT = "草稿里的秘密议案"
SECRET_GROUP_REVIEW = "小组议事中的秘密议案"
SECRETS = [SECRET_PHONE, SECRET_ADDRESS, SECRET_CONTRIBUTOR, SECRET_DONOR, SECRET_DRAFT, SECRET_GROUP_REVIEW]

LIST_ENDPOINTS = ["communities", "groups", "councils", "proposals", "notices", "ballots", "funds", "donations"]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def data():
    w = old_world(group_seats=3, community_seats=3)
    for user in [*w.group_members, *w.residents, *w.community_members, w.staff]:
        user.phone = SECRET_PHONE
        user.save(update_fields=["phone"])
    Residency.objects.filter(user__in=w.residents).update(address=SECRET_ADDRESS)
    make_fund(w, "100000.00")
    p = drive_to_approved(w)
    review = fs.budget_approve(proposal=p, reviewer=w.street_staff)
    contribute(w, p, review.self_raised_share - 1)
    fs.contribution_record(proposal=p, actor=w.group_members[1], payer=SECRET_CONTRIBUTOR, amount="1.00",
                           receipt_no="SECRET-1", paid_on=timezone.localdate())
    ps.proposal_create(author=w.author, group=w.group, title=SECRET_DRAFT, summary=SECRET_DRAFT,
                       lines=BACK_GATE_LINES, community_share="1000")
    in_group = ps.proposal_create(author=w.author, group=w.group, title=SECRET_GROUP_REVIEW,
                                  summary=SECRET_GROUP_REVIEW, lines=BACK_GATE_LINES, community_share="1000")
    ps.proposal_submit(proposal=in_group, actor=w.author)
    foundation = fs.fund_create(community=w.community, year=current_year(), actor=w.street_staff,
                                kind=FundKind.FOUNDATION)
    for name, publish in ((SECRET_DONOR, False), ("晋阳商贸有限公司", True)):
        fs.donation_record(fund=foundation, actor=w.staff, donor_kind=DonorKind.ENTERPRISE, donor_name=name,
                           amount="500.00", method="transfer", paid_on=timezone.localdate(), publish_name=publish)
    fs.donation_record(fund=foundation, actor=w.staff, donor_kind=DonorKind.ANONYMOUS, donor_name="",
                       amount="5.00", method="cash", paid_on=timezone.localdate())
    return {"world": w, "proposal": p, "foundation": foundation}


def get(client, path, **params):
    response = client.get(f"/api/v1/{path}", params)
    return response


def assert_clean(text: str):
    for secret in SECRETS:
        assert secret not in text, secret


# --------------------------------------------------------------------------- nothing personal, whatever the query


def test_r22_every_endpoint_answers_without_personal_data(client, data):
    w, p, foundation = data["world"], data["proposal"], data["foundation"]
    today = timezone.localdate().isoformat()
    queries = [{}, {"community": w.community.pk}, {"since": "2000-01-01", "until": today}, {"page_size": 200},
               {"community": w.community.pk, "since": today}]
    seen = {}
    for endpoint in [*LIST_ENDPOINTS, f"funds/{foundation.pk}/ledger", f"proposals/{p.pk}"]:
        for params in queries:
            response = get(client, endpoint, **params)
            assert response.status_code == 200, (endpoint, params, response.content[:300])
            text = response.content.decode()
            assert_clean(text)
            if not params:
                seen[endpoint] = json.loads(text)
    for dataset in ("proposals", "notices", "ballots", "ledger", "donations"):
        for fmt in ("csv", "json"):
            response = client.get(reverse("api-v1:bulk", args=[w.community.pk, current_year(), dataset, fmt]))
            assert response.status_code == 200
            assert_clean(b"".join(response.streaming_content).decode("utf-8-sig"))
    # The public parts are there.
    assert {d["donor"] for d in seen["donations"]["items"]} == {"晋阳商贸有限公司", "企业（未公开姓名）", "匿名捐赠人"}
    assert [x["title"] for x in seen["proposals"]["items"]] == [p.title]
    ballots = seen["ballots"]["items"]
    assert {b["kind"] for b in ballots} == {"group", "community"} and all(b["approve"] > 0 for b in ballots)
    members = [m for c in seen["councils"]["items"] for m in c["members"]]
    assert {"name": w.group_members[0].display_name, "role": "chair"} in members
    assert len(seen[f"funds/{foundation.pk}/ledger"]["items"]) == 3


def test_r22_contributors_names_never_appear(client, data):
    w, p = data["world"], data["proposal"]
    payers = list(p.contributions.values_list("payer", flat=True))
    assert payers
    for endpoint in [*LIST_ENDPOINTS]:
        text = get(client, endpoint).content.decode()
        for payer in payers:
            assert payer not in text


def test_r22_drafts_are_not_found_by_id(client, data):
    from proposals.models import Proposal

    draft = Proposal.objects.get(title=SECRET_DRAFT)
    assert get(client, f"proposals/{draft.pk}").status_code == 404
    assert get(client, "funds/999999/ledger").status_code == 404


# --------------------------------------------------------------------------- filters and pages


def test_r22_filters_narrow_and_pages_are_bounded(client, data):
    other = old_world(group_seats=3, community_seats=3, prefix="外")
    all_groups = get(client, "groups").json()
    assert all_groups["count"] == 2
    assert get(client, "groups", community=other.community.pk).json()["count"] == 1
    assert get(client, "donations", since="2000-01-01", until="2000-12-31").json()["count"] == 0
    assert get(client, "donations", community=other.community.pk).json()["count"] == 0
    page = get(client, "donations", page_size=2).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    assert len(get(client, "donations", page_size=2, page=2).json()["items"]) == 1
    assert get(client, "donations", page_size=100000).status_code == 200  # capped, not refused
    assert get(client, "donations", since="not-a-date").status_code == 422


# --------------------------------------------------------------------------- HTTP behaviour


def test_r22_get_only(client, data):
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/donations")
        assert response.status_code == 405, method
    assert client.post(reverse("api-v1:bulk", args=[data["world"].community.pk, current_year(), "ledger",
                                                     "csv"])).status_code == 405


def test_r22_etag_and_if_none_match(client, data):
    first = get(client, "proposals")
    etag = first["ETag"]
    assert etag and first["Access-Control-Allow-Origin"] == "*"
    again = client.get("/api/v1/proposals", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    # A change shows at once: a new donation changes the donations' ETag.
    before = get(client, "donations")["ETag"]
    w = data["world"]
    fs.donation_record(fund=data["foundation"], actor=w.staff, donor_kind=DonorKind.RESIDENT, donor_name="新捐赠人",
                       amount="1.00", method="cash", paid_on=timezone.localdate(), publish_name=True)
    assert client.get("/api/v1/donations", HTTP_IF_NONE_MATCH=before).status_code == 200


def test_r22_throttled_per_client(client, data, settings):
    from api.api import api

    throttle = api.throttle[0]
    old_rate, old_parsed = throttle.rate, (throttle.num_requests, throttle.duration)
    throttle.rate = "3/m"
    throttle.num_requests, throttle.duration = throttle.parse_rate("3/m")
    try:
        codes = [client.get("/api/v1/communities", REMOTE_ADDR="10.0.0.1").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/api/v1/communities", REMOTE_ADDR="10.0.0.2").status_code == 200  # another client
    finally:
        throttle.rate = old_rate
        throttle.num_requests, throttle.duration = old_parsed


# --------------------------------------------------------------------------- OpenAPI and the docs page


def test_r22_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/communities", "/api/v1/groups", "/api/v1/councils", "/api/v1/proposals",
        "/api/v1/proposals/{proposal_id}", "/api/v1/notices", "/api/v1/ballots", "/api/v1/funds",
        "/api/v1/funds/{fund_id}/ledger", "/api/v1/donations",
        *(f"/api/v1/{r}{tail}" for r in ("needs", "projects", "organisations", "grant-calls", "grant-awards",
                                          "elections") for tail in ("", "/{item_id}")),
    }
    assert all(set(ops) == {"get"} for ops in paths.values())
    donation = schema["components"]["schemas"]["DonationOut"]["properties"]
    assert "donor" in donation and "donor_name" not in donation
    every_field = {f for s in schema["components"]["schemas"].values() for f in s.get("properties", {})}
    assert not every_field & {"phone", "address", "payer", "author", "author_id", "voter", "choice", "donor_name",
                              "choices", "resident", "resident_id", "recorded_by", "supporters", "roll"}
    params = {p["name"] for p in paths["/api/v1/donations"]["get"]["parameters"]}
    assert {"community", "since", "until", "page", "page_size"} <= params


def test_r22_docs_page_uses_local_assets_under_the_csp(client, db):
    response = client.get("/api/v1/docs")
    body = response.content.decode()
    assert response.status_code == 200
    assert "cdn" not in body.lower() and "/static/ninja/swagger-ui-bundle" in body
    assert "Content-Security-Policy" in response.headers
    about = client.get("/api/")
    assert about.status_code == 200 and "curl" in about.content.decode()


# --------------------------------------------------------------------------- query counts


def test_r22_list_queries_constant_in_items(client, data, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = data["world"]
    counts = {}
    for endpoint in LIST_ENDPOINTS:
        with CaptureQueriesContext(connection) as ctx:
            assert get(client, endpoint).status_code == 200
        counts[endpoint] = len(ctx.captured_queries)
    more = old_world(group_seats=3, community_seats=3, prefix="乙")
    fund = fs.fund_create(community=more.community, year=current_year(), actor=more.street_staff,
                          kind=FundKind.FOUNDATION)
    for n in range(3):
        fs.donation_record(fund=fund, actor=more.staff, donor_kind=DonorKind.RESIDENT, donor_name=f"乙{n}",
                           amount="1.00", method="cash", paid_on=timezone.localdate(), publish_name=True)
    drive_to_approved(more)
    assert w.community.pk != more.community.pk
    for endpoint in LIST_ENDPOINTS:
        with django_assert_num_queries(counts[endpoint]):
            assert get(client, endpoint).status_code == 200
