"""Issue 8, fast pages: the public cache never shows a stale page, lists are paginated, and each
page's query count is at most 15 and does not grow with the data.

- home, public list, proposal page and poster are cached for anonymous visitors under the newest
  event, vote and ledger entry (yishi.public_cache): a new notice, a withdrawal or a new event
  shows at the next request, without waiting for any timeout;
- the tally poll is cached under the ballot's newest vote: a vote shows at the next poll;
- the proposal timeline is keyset-paginated; the street and group review queues and "my ballots"
  are paginated, with a query count that does not grow with the rows.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from proposals import services as ps
from proposals.models import ProposalEvent
from tests.factories import backdate_memberships, to_community_vote, to_group_review, to_notice
from tests.funding_support import drive_to_approved, drive_to_notice, make_fund, old_world
from yishi.public_cache import public_version


def _queries(client, url, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _section(body: str, title_id: str) -> str:
    return body.split(f'id="{title_id}"')[1].split("</section>")[0]


# --------------------------------------------------------------------------- the public cache


def test_home_is_cached_and_shows_a_new_notice_at_once(client, world):
    p = to_group_review(world, title="北苑后门维修")
    from tests.factories import group_adopt

    group_adopt(world, p)
    first = client.get("/").content.decode()
    assert "北苑后门维修" not in _section(first, "notices-title")
    cached, _response = _queries(client, "/")
    assert cached == 1  # the version only
    ps.notice_publish(proposal=p, actor=world.group_members[0])
    assert "北苑后门维修" in _section(client.get("/").content.decode(), "notices-title")


def test_signed_in_home_lists_a_new_notice_at_once(client, world):
    from tests.factories import group_adopt

    p = to_group_review(world, title="西苑雨棚")
    group_adopt(world, p)
    client.force_login(world.residents[1])
    assert "西苑雨棚" not in _section(client.get("/").content.decode(), "notices-title")
    ps.notice_publish(proposal=p, actor=world.group_members[0])
    assert "西苑雨棚" in _section(client.get("/").content.decode(), "notices-title")


def test_public_version_moves_with_each_event_vote_and_minute(world):
    p = to_group_review(world)
    before = public_version()
    ballot = ps.group_ballot_open(proposal=p, actor=world.group_members[0],
                                  closes_at=timezone.now() + timedelta(days=2))
    after_event = public_version()
    assert after_event.split(".")[0] != before.split(".")[0]
    ps.vote_cast(ballot=ballot, voter=world.group_members[0], choice="approve")
    assert public_version().split(".")[1] != after_event.split(".")[1]
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert public_version().split(".")[3] != after_event.split(".")[3]


def test_withdrawn_proposal_leaves_the_cached_public_list_at_once(client, world):
    p, _notice = to_notice(world, title="东苑车棚")
    url = reverse("proposals:public_list")
    assert "东苑车棚" in client.get(url).content.decode()
    assert _queries(client, url)[0] == 1  # cached
    ps.proposal_withdraw(proposal=p, actor=world.author, reason="改为明年再议")
    p.refresh_from_db()
    assert p.status == "withdrawn"
    listed = client.get(url, {"status": "notice"}).content.decode()
    assert "东苑车棚" not in listed
    # The unfiltered list shows it withdrawn, not as a running notice.
    assert "公示还剩" not in client.get(url).content.decode()


def test_public_list_with_foreign_parameters_is_not_cached(client, world):
    to_notice(world, title="东苑车棚")
    url = reverse("proposals:public_list")
    client.get(url, {"utm": "x"})
    assert _queries(client, url, query_params={"utm": "x"})[0] > 1


def test_vote_shows_in_the_tally_poll_at_once(client, world):
    _proposal, ballot = to_community_vote(world)
    member = world.community_members[0]
    client.force_login(member)
    url = reverse("proposals:ballot_tally", args=[ballot.pk])
    hx = {"HX-Request": "true"}
    first, response = _queries(client, url, headers=hx)
    assert "已有 0 票赞成" in response.content.decode()
    again, response = _queries(client, url, headers=hx)
    assert again < first and "已有 0 票赞成" in response.content.decode()  # from the cache
    ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    assert "已有 1 票赞成" in client.get(url, headers=hx).content.decode()
    ps.vote_cast(ballot=ballot, voter=world.community_members[1], choice="approve")
    assert "已有 2 票赞成" in client.get(url, headers=hx).content.decode()


def test_cached_proposal_page_shows_a_new_event_at_once(client, world):
    p, notice = to_notice(world)
    url = reverse("proposals:detail", args=[p.pk])
    body = client.get(url).content.decode()
    assert "第一条意见" not in body
    assert _queries(client, url)[0] <= 4  # session-less: the proposal, the version, refunds never
    ps.objection_file(notice=notice, resident=world.residents[0], text="第一条意见：后门朝向有问题")
    assert "第一条意见" in client.get(url).content.decode()


def test_private_proposal_is_never_served_from_the_cache(client, world):
    p = to_group_review(world, title="尚未公开的议案")
    assert client.get(reverse("proposals:detail", args=[p.pk])).status_code == 404


def test_poster_is_the_same_for_everyone_and_follows_a_new_notice(client, world):
    p, _notice = to_notice(world, title="北苑后门")
    url = reverse("proposals:poster", args=[p.pk])
    anonymous = client.get(url).content.decode()
    client.force_login(world.author)
    signed_in = client.get(url).content.decode()
    sheet = anonymous[anonymous.index('<article class="poster-sheet"'):anonymous.index("</article>")]
    assert sheet in signed_in


def test_cached_page_keeps_a_fresh_csp_nonce(client, world):
    to_notice(world)
    one, two = client.get("/"), client.get("/")  # the second from the cache
    nonces = [re.search(r'nonce="([^"]+)"', r.content.decode()).group(1) for r in (one, two)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((one, two), nonces, strict=True):
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_cached_page_follows_the_language(client, world):
    to_notice(world)
    zh = client.get("/").content.decode()
    en = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "正在公示" in zh and "正在公示" not in en


# --------------------------------------------------------------------------- timeline keyset pagination


@pytest.fixture
def settled_world(db):
    """Memberships a month old, so a proposal can start ten days ago (tests.funding_support); enough
    residents for 40 objections (three each at most)."""
    return old_world(residents=16)


def _long_history(world, objections: int):
    p = drive_to_notice(world)
    notice = p.notices.get()
    with time_machine.travel(notice.published_at + timedelta(hours=1), tick=True):
        for n in range(objections):
            ps.objection_file(notice=notice, resident=world.residents[n % len(world.residents)], text=f"第{n}条意见")
    return p


def _timeline(body: str) -> str:
    return body.split('class="timeline-fold"')[1].split("</details>")[0]


@pytest.mark.parametrize("objections", [3, 40])
def test_timeline_shows_the_newest_page_and_links_to_earlier(client, settled_world, objections):
    from proposals.views.public import TIMELINE_PER_PAGE

    p = _long_history(settled_world, objections)
    total = ProposalEvent.objects.filter(proposal=p).count()
    url = reverse("proposals:detail", args=[p.pk])
    timeline = _timeline(client.get(url).content.decode())
    assert timeline.count("<time ") == min(total, TIMELINE_PER_PAGE)
    assert f"时间线（{total} 条记录）" in timeline
    newest = ProposalEvent.objects.filter(proposal=p).order_by("-seq").first()
    assert newest.get_kind_display() in timeline
    if total > TIMELINE_PER_PAGE:
        first_shown = total - TIMELINE_PER_PAGE + 1
        assert f"?before={first_shown}" in timeline
        earlier = _timeline(client.get(url, {"before": first_shown}).content.decode())
        assert earlier.count("<time ") == min(first_shown - 1, TIMELINE_PER_PAGE)
        assert "最新的记录" in earlier
    else:
        assert "?before=" not in timeline


def test_timeline_bad_before_is_the_newest_page(client, settled_world):
    p = _long_history(settled_world, 2)
    url = reverse("proposals:detail", args=[p.pk])
    for bad in ("x", "-1", "9" * 30):
        assert client.get(url, {"before": bad}).status_code == 200


def test_proposal_page_query_count_is_the_same_for_short_and_long_histories(client, settled_world):
    world = settled_world
    p = _long_history(world, 2)
    url = reverse("proposals:detail", args=[p.pk])
    client.force_login(world.group_members[0])  # signed in: built for the viewer, never cached
    client.get(url)
    short = _queries(client, url)[0]
    notice = p.notices.get()
    with time_machine.travel(notice.published_at + timedelta(hours=2), tick=True):
        for n in range(30):
            ps.objection_file(notice=notice, resident=world.residents[n % len(world.residents)], text=f"再议{n}")
    assert ProposalEvent.objects.filter(proposal=p).count() > 30
    assert _queries(client, url)[0] == short


# --------------------------------------------------------------------------- review queues


@pytest.mark.parametrize("approved", [1, 3])
def test_street_queue_query_count_is_constant_and_small(client, approved, db):
    world = old_world()
    make_fund(world)
    for n in range(approved):
        drive_to_approved(world, title=f"议案{n}")
    client.force_login(world.street_staff)
    url = reverse("funding:review_queue")
    client.get(url)
    count, response = _queries(client, url)
    assert count <= 15
    assert response.content.decode().count('id="review-') == approved
    drive_to_approved(world, title="又一个议案")
    assert _queries(client, url)[0] == count


def test_street_queue_is_paginated(client, db, monkeypatch):
    from funding.views import street

    monkeypatch.setattr(street, "QUEUE_PER_PAGE", 2)
    world = old_world()
    make_fund(world)
    titles = [f"待审议案{n}" for n in range(3)]
    for title in titles:
        drive_to_approved(world, title=title)
    client.force_login(world.street_staff)
    url = reverse("funding:review_queue")
    first = client.get(url).content.decode()
    second = client.get(url, {"pending": 2}).content.decode()
    on_first = [t for t in titles if t in first]
    on_second = [t for t in titles if t in second]
    assert len(on_first) == 2 and len(on_second) == 1
    assert set(on_first) | set(on_second) == set(titles)
    assert "?pending=2" in first
    assert '<span class="muted small">3</span>' in second  # the heading counts all of them
    # A form on page 2 posts back to page 2, so a refusal shows beside its card.
    assert "?pending=2" in second.split('id="review-')[1]


def test_group_review_queue_is_paginated_and_counts_each_section(client, world, monkeypatch):
    from proposals.views import group

    monkeypatch.setattr(group, "QUEUE_PER_PAGE", 2)
    titles = [f"小组待议{n}" for n in range(3)]
    for title in titles:
        to_group_review(world, title=title)
    client.force_login(world.group_members[0])
    url = reverse("proposals:review_queue")
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert sum(t in first for t in titles) == 2 and sum(t in second for t in titles) == 1
    assert "?page=2" in first
    assert "没有等待议事的议案" not in second  # the section is not empty, only on another page
    assert "没有待公示的决议" in second


@pytest.mark.parametrize("proposals", [1, 4])
def test_group_review_queue_query_count_is_constant(client, world, proposals):
    for n in range(proposals):
        to_group_review(world, title=f"待议{n}")
    client.force_login(world.group_members[0])
    url = reverse("proposals:review_queue")
    client.get(url)
    count = _queries(client, url)[0]
    assert count <= 15
    to_group_review(world, title="再来一个")
    assert _queries(client, url)[0] == count


# --------------------------------------------------------------------------- my ballots


def _ballots(world, n):
    backdate_memberships(world)
    for i in range(n):
        to_community_vote(world, title=f"表决议案{i}")


def test_my_ballots_is_paginated_open_first(client, world, monkeypatch):
    from proposals.views import ballots

    monkeypatch.setattr(ballots, "BALLOTS_PER_PAGE", 2)
    _ballots(world, 3)
    client.force_login(world.community_members[0])
    url = reverse("proposals:my_ballots")
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert first.count("表决议案") >= 2 and "?page=2" in first
    # Three community ballots and three closed group ballots? Only the community council's here.
    shown = [t for t in (f"表决议案{i}" for i in range(3)) if t in first or t in second]
    assert len(shown) == 3
    assert "现在没有进行中的表决" not in second


def test_my_ballots_query_count_is_constant(client, world):
    _ballots(world, 1)
    member = world.community_members[0]
    client.force_login(member)
    url = reverse("proposals:my_ballots")
    client.get(url)
    count = _queries(client, url)[0]
    assert count <= 15
    to_community_vote(world, title="再一次表决")
    assert _queries(client, url)[0] == count


# --------------------------------------------------------------------------- the XLSX writer


def test_xlsx_writer_keeps_types_styles_and_guards():
    """funding.exports.write_xlsx writes the package itself (openpyxl's write-only mode took 5.9 s of
    CPU for 50 000 ledger rows): numbers stay numbers with the money format, text is never a
    formula, controls are dropped, markup is escaped, the header is bold and frozen."""
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from funding.exports import Table, Totals, to_xlsx

    rows = [
        [1, "2026-01-01 10:00:00", "=HYPERLINK(\"http://x\")", Decimal("12.30"), "a < b & c > d", "bell\x07 tab"],
        [2, "", "@SUM(A1)", Decimal("-5.00"), "  spaced  ", None],
        Totals(["合计", "", "", Decimal("7.30"), "", ""]),
    ]
    table = Table(title="北苑: 2026/[公服]*?", header=["序号", "时间", "说明", "金额", "备注", "其他"],
                  rows=iter(rows), money_columns={3})
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet.title == "北苑_ 2026__公服___"
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["序号", "时间", "说明", "金额", "备注", "其他"]
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet["C2"].value == "'=HYPERLINK(\"http://x\")" and sheet["C2"].data_type == "s"
    assert sheet["C3"].value == "'@SUM(A1)"
    assert sheet["D2"].value == 12.3 and sheet["D2"].number_format == "#,##0.00"
    assert sheet["D3"].value == -5
    assert sheet["E2"].value == "a < b & c > d"
    assert sheet["E3"].value == "  spaced  "
    assert "\x07" not in sheet["F2"].value
    assert sheet["F3"].value is None
    assert sheet["A4"].value == "合计" and sheet["A4"].font.b and sheet["D4"].font.b
    assert sheet["D4"].number_format == "#,##0.00"
    assert sheet.max_row == 4


# --------------------------------------------------------------------------- staff home


def test_staff_home_lists_are_paginated_each_with_its_own_parameter(client, world, monkeypatch):
    from proposals.views import staff
    from tests.factories import to_submitted

    monkeypatch.setattr(staff, "STAFF_PER_PAGE", 2)
    titles = [f"待表决{n}" for n in range(3)]
    for title in titles:
        to_submitted(world, title=title)
    client.force_login(world.staff)
    url = reverse("councils:staff_home")
    first = client.get(url).content.decode()
    second = client.get(url, {"submitted": 2}).content.decode()
    assert sum(t in first for t in titles) == 2 and sum(t in second for t in titles) == 1
    assert "?submitted=2#h-submitted" in first
    # The form on page 2 posts back to page 2, where its refusal is shown.
    assert "?submitted=2" in second.split('id="submitted-')[1]
    assert '<span class="muted small">3</span>' in second


@pytest.mark.parametrize("proposals", [1, 3])
def test_staff_home_query_count_is_constant(client, world, proposals):
    from tests.factories import to_submitted

    for n in range(proposals):
        to_submitted(world, title=f"待表决{n}")
    client.force_login(world.staff)
    url = reverse("councils:staff_home")
    client.get(url)
    count = _queries(client, url)[0]
    assert count <= 15
    to_submitted(world, title="又一个")
    assert _queries(client, url)[0] == count


# --------------------------------------------------------------------------- gunicorn


def test_gunicorn_serves_with_threads_and_recycles_spread(monkeypatch):
    """2 processes × 4 threads by default (measured, docs/operations.md "Fast pages"); workers
    restart after max_requests plus up to 50 % jitter, never together; preloaded."""
    import runpy

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    conf = runpy.run_path("gunicorn.conf.py")
    assert (conf["workers"], conf["threads"]) == (2, 4)
    assert conf["keepalive"] >= 2
    assert conf["max_requests"] >= 5000 and conf["max_requests_jitter"] >= conf["max_requests"] // 4
    assert conf["preload_app"] is True
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "1")
    conf = runpy.run_path("gunicorn.conf.py")
    assert (conf["workers"], conf["threads"]) == (3, 1)


def test_staff_residents_query_count_does_not_grow_with_the_groups(client, world):
    """The register form's group list named each group's community with a query of its own."""
    from tests.factories import ResidentGroupFactory

    client.force_login(world.staff)
    url = reverse("councils:residents")
    client.get(url)
    count = _queries(client, url)[0]
    assert count <= 15
    for n in range(4):
        ResidentGroupFactory(community=world.community, name=f"新院落{n}")
    assert _queries(client, url)[0] == count
