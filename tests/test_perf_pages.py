"""Speed work on the pages (issue 8), each change with a test of what it must not break.

- anonymous pages are cached (yishi.public_cache) and a new notice, vote or ballot result shows
  at once, without waiting for any timeout;
- the proposal timeline is keyset-paginated, the street review queue paginated, both with a
  query count that does not grow with the rows.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from proposals import services as ps
from proposals.models import ProposalEvent
from tests.factories import BACK_GATE_LINES, build_world
from tests.funding_support import drive_to_approved, drive_to_notice, make_fund, old_world
from yishi.public_cache import public_version


def _adopted(world, title):
    p = ps.proposal_create(
        author=world.author, group=world.group, title=title, summary="修后门、消防通道和围墙防盗刺",
        lines=BACK_GATE_LINES, community_share="18000",
    )
    ps.proposal_submit(proposal=p, actor=world.author)
    ballot = ps.group_ballot_open(proposal=p, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=2))
    for member in world.group_members[:3]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=world.group_members[0])
    return p


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def settled_world(db):
    """Memberships a month old, so a proposal can start ten days ago (tests.funding_support)."""
    return old_world()


# --------------------------------------------------------------------------- cache invalidation


def test_home_cached_shows_a_new_notice_at_once(client, world, django_assert_num_queries):
    p = _adopted(world, "北苑后门维修")
    first = client.get("/").content.decode()
    assert "北苑后门维修" not in first.split('id="notices-title"')[1].split("</section>")[0]
    with django_assert_num_queries(1):  # cached: only the version
        client.get("/")
    ps.notice_publish(proposal=p, actor=world.group_members[0])
    after = client.get("/").content.decode()
    running = after.split('id="notices-title"')[1].split("</section>")[0]
    assert "北苑后门维修" in running


def test_public_version_moves_with_each_event_and_vote(world):
    p = _adopted(world, "围墙防盗刺")
    before = public_version()
    ps.notice_publish(proposal=p, actor=world.group_members[0])
    after_notice = public_version()
    assert after_notice != before
    assert after_notice.split(".")[0] != before.split(".")[0]  # the event id moved


def test_vote_shows_in_tally_and_result_on_cached_public_page_at_once(client, world):
    p = _adopted(world, "消防通道")
    notice = ps.notice_publish(proposal=p, actor=world.group_members[0])
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        ps.proposal_submit_to_community(proposal=p, actor=world.group_members[0])
        ballot = ps.community_ballot_open(proposal=p, actor=world.staff, closes_at=timezone.now() + timedelta(days=3))
        detail = reverse("proposals:detail", args=[p.pk])
        assert "表决通过" not in client.get(detail).content.decode().split('id="timeline-title"')[1]
        member = world.community_members[0]
        tally_before = client.get(detail)  # warm the anonymous cache
        client.force_login(member)
        tally_url = reverse("proposals:ballot_tally", args=[ballot.pk])
        client.get(tally_url)
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
        tally = client.get(tally_url, headers={"HX-Request": "true"}).content.decode()
        assert "1" in tally
        client.logout()
        for other in world.community_members[1:]:
            ps.vote_cast(ballot=ballot, voter=other, choice="approve")
        ps.ballot_close(ballot=ballot, actor=world.staff)
        page = client.get(detail).content.decode()
    assert tally_before.status_code == 200
    assert "社区表决通过" in page.split('id="timeline-title"')[1]


def test_poster_cached_for_everyone_and_follows_a_new_notice(client, world):
    p = _adopted(world, "后门")
    ps.notice_publish(proposal=p, actor=world.group_members[0])
    url = reverse("proposals:poster", args=[p.pk])
    anonymous = client.get(url).content.decode()
    client.force_login(world.author)
    signed_in = client.get(url).content.decode()
    sheet = anonymous[anonymous.index('<article class="poster-sheet"'):anonymous.index("</article>")]
    assert sheet in signed_in


def test_cached_page_keeps_a_fresh_csp_nonce_and_csrf_token(client, world):
    import re

    _adopted(world, "后门")
    one, two = client.get("/"), client.get("/")  # the second is served from the cache
    nonces = [re.search(r'nonce="([^"]+)"', r.content.decode()).group(1) for r in (one, two)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((one, two), nonces):
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


# --------------------------------------------------------------------------- timeline keyset pagination


def _long_history(world, objections: int):
    p = drive_to_notice(world)
    notice = p.notices.get()
    with time_machine.travel(notice.published_at + timedelta(hours=1), tick=True):
        for n in range(objections):
            resident = world.residents[n % len(world.residents)]
            ps.objection_file(notice=notice, resident=resident, text=f"第{n}条意见")
    return p


@pytest.mark.parametrize("objections", [12, 36])
def test_timeline_shows_the_newest_page_and_links_to_earlier(client, settled_world, objections):
    world = settled_world
    from proposals.views.public import TIMELINE_PER_PAGE

    p = _long_history(world, objections)
    total = ProposalEvent.objects.filter(proposal=p).count()
    url = reverse("proposals:detail", args=[p.pk])
    body = client.get(url).content.decode()
    timeline = body.split('id="timeline-title"')[1]
    shown = timeline.count("<time ")
    assert shown == min(total, TIMELINE_PER_PAGE)
    newest = ProposalEvent.objects.filter(proposal=p).order_by("-seq").first()
    assert newest.get_kind_display() in timeline
    if total > TIMELINE_PER_PAGE:
        first_shown = total - TIMELINE_PER_PAGE + 1
        assert f"?before={first_shown}" in timeline
        earlier = client.get(url, {"before": first_shown}).content.decode().split('id="timeline-title"')[1]
        assert earlier.count("<time ") == min(first_shown - 1, TIMELINE_PER_PAGE)
    else:
        assert "?before=" not in timeline


def test_timeline_query_count_is_the_same_for_short_and_long_histories(client, settled_world):
    world = settled_world
    p = _long_history(world, 2)
    url = reverse("proposals:detail", args=[p.pk])
    client.force_login(world.group_members[0])  # signed in: the page is built, never cached
    client.get(url)
    short = _queries_of(client, url)
    notice = p.notices.get()
    with time_machine.travel(notice.published_at + timedelta(hours=2), tick=True):
        for n in range(40):
            ps.objection_file(notice=notice, resident=world.residents[n % len(world.residents)], text=f"再议{n}")
    assert ProposalEvent.objects.filter(proposal=p).count() > 40
    assert _queries_of(client, url) == short


def _queries_of(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


# --------------------------------------------------------------------------- street review queue


@pytest.mark.parametrize("approved", [1, 3])
def test_street_queue_query_count_is_constant(client, django_assert_num_queries, approved, db):
    world = old_world()
    make_fund(world)
    for n in range(approved):
        drive_to_approved(world, title=f"议案{n}")
    client.force_login(world.street_staff)
    client.get(reverse("funding:review_queue"))
    with django_assert_num_queries(_queue_queries(client)):
        response = client.get(reverse("funding:review_queue"))
    assert response.content.decode().count('id="review-') == approved


def _queue_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("funding:review_queue"))
    assert len(ctx.captured_queries) <= 15
    return len(ctx.captured_queries)


def test_street_queue_is_paginated(client, db, monkeypatch):
    from funding.views import street

    monkeypatch.setattr(street, "QUEUE_PER_PAGE", 2)
    world = old_world()
    make_fund(world)
    titles = [f"待审议案{n}" for n in range(3)]
    for title in titles:
        drive_to_approved(world, title=title)
    client.force_login(world.street_staff)
    first = client.get(reverse("funding:review_queue")).content.decode()
    second = client.get(reverse("funding:review_queue"), {"pending": 2}).content.decode()
    on_first = [t for t in titles if t in first]
    on_second = [t for t in titles if t in second]
    assert len(on_first) == 2 and len(on_second) == 1
    assert set(on_first) | set(on_second) == set(titles)
    assert "?pending=2" in first


# --------------------------------------------------------------------------- gunicorn


def test_gunicorn_recycling_is_spread_and_cheap():
    """Workers restart after max_requests plus up to 50 % jitter, never together; preloaded, a
    restart is a fork (docs/operations.md, Benchmark)."""
    import runpy

    conf = runpy.run_path("gunicorn.conf.py")
    assert conf["max_requests"] >= 5000
    assert conf["max_requests_jitter"] >= conf["max_requests"] // 4
    assert conf["preload_app"] is True
