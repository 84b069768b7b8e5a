"""Issue 9, finding 7: limits that protect the process.

A resident files at most MAX_OBJECTIONS_PER_NOTICE objections per notice and the same
text once (services and constraints, also under concurrent filing on PostgreSQL); every
form that creates rows is rate-limited with a clear 429 page, and the limit lets people
through when the cache (Redis) is down.
"""

import inspect
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from notifications.models import Notification
from portal import ratelimit
from proposals import services as ps
from proposals.models import MAX_OBJECTIONS_PER_NOTICE, Objection
from tests.factories import build_world, to_notice
from tests.test_views_funding import as_user
from yishi.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_limit_is_three():
    assert MAX_OBJECTIONS_PER_NOTICE == 3


def test_objections_per_resident_and_notice_are_bounded(world):
    proposal, notice = to_notice(world)
    resident = world.residents[1]
    for n in range(MAX_OBJECTIONS_PER_NOTICE):
        ps.objection_file(notice=notice, resident=resident, text=f"第{n}条：太贵了")
    notifications = Notification.objects.count()
    with pytest.raises(DomainError, match="最多提出 3 条异议"):
        ps.objection_file(notice=notice, resident=resident, text="第四条：还是太贵")
    assert Objection.objects.filter(notice=notice, resident=resident).count() == MAX_OBJECTIONS_PER_NOTICE
    assert Notification.objects.count() == notifications
    # Another resident still may object.
    ps.objection_file(notice=notice, resident=world.residents[2], text="太贵了")


@pytest.mark.parametrize("again", ["太贵了", " 太贵了！", "太贵了 !", "太 贵 了。", "ＴＯＯ", "too"])
def test_identical_text_once_normalised(world, again):
    proposal, notice = to_notice(world)
    first = "ＴＯＯ!" if again in ("ＴＯＯ", "too") else "太贵了"
    ps.objection_file(notice=notice, resident=world.residents[1], text=first)
    with pytest.raises(DomainError, match="已经提过了"):
        ps.objection_file(notice=notice, resident=world.residents[1], text=again)
    assert Objection.objects.filter(notice=notice).count() == 1


def test_identical_text_by_another_resident_is_theirs_to_file(world):
    proposal, notice = to_notice(world)
    ps.objection_file(notice=notice, resident=world.residents[1], text="太贵了")
    ps.objection_file(notice=notice, resident=world.residents[2], text="太贵了")
    assert Objection.objects.filter(notice=notice).count() == 2


def test_the_database_refuses_a_fourth_slot_and_a_repeated_text(world):
    proposal, notice = to_notice(world)
    first = ps.objection_file(notice=notice, resident=world.residents[1], text="太贵了")
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(notice=notice, resident=world.residents[1], text="x", slot=first.slot,
                                 text_key="other")
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(notice=notice, resident=world.residents[1], text="x", slot=2,
                                 text_key=first.text_key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(notice=notice, resident=world.residents[1], text="x",
                                 slot=MAX_OBJECTIONS_PER_NOTICE + 1, text_key="new")


def test_objection_page_says_the_limit(world, client):
    proposal, notice = to_notice(world)
    client = as_user(client, world.residents[1])
    url = reverse("proposals:objection_file", args=[proposal.pk])
    for n in range(MAX_OBJECTIONS_PER_NOTICE):
        assert client.post(url, {"obj-text": f"意见{n}"}).status_code == 302
    response = client.post(url, {"obj-text": "意见四"})
    assert response.status_code in (200, 409)
    assert "最多提出 3 条异议" in response.content.decode()
    assert Objection.objects.filter(notice=notice).count() == MAX_OBJECTIONS_PER_NOTICE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_objections_of_one_resident_stay_within_the_limit(postgres):
    world = build_world(community_seats=5)
    proposal, notice = to_notice(world)
    resident = world.residents[1]
    barrier = threading.Barrier(8)
    outcomes = []

    def file(n):
        try:
            barrier.wait()
            ps.objection_file(notice=notice, resident=resident, text="同一条" if n % 2 else f"第{n}条")
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = Objection.objects.filter(notice=notice, resident=resident)
    assert rows.count() == outcomes.count("ok") <= MAX_OBJECTIONS_PER_NOTICE
    assert rows.filter(text="同一条").count() <= 1
    assert outcomes.count("refused") == 8 - rows.count()


# --------------------------------------------------------------------------- rate limits


# POSTs that create nothing of a person's making: a step of an existing row, bounded by the row's own
# state (a proposal is submitted once, a ballot closes once, a claim is confirmed once), or a switch.
NOT_CREATING = {
    "portal:large_text": "a display switch",
    "photos:remove": "marks a photo removed, once per photo",
    "notifications:mark_read": "marks what exists", "notifications:preferences": "one row per person, updated",
    "councils:ballot_open": "once per proposal", "councils:ballot_close": "once per ballot",
    "councils:residency_verify": "once per residency", "councils:residency_end": "once per residency",
    "councils:seat_end": "once per seat",
    "proposals:submit": "a step", "proposals:return": "a step", "proposals:withdraw": "a step",
    "proposals:follow": "one follow per person", "proposals:group_ballot_open": "once per proposal",
    "proposals:community_ballot_open": "once per proposal", "proposals:notice_publish": "once per proposal",
    "proposals:submit_to_community": "a step", "proposals:ballot_close": "once per ballot",
    "proposals:vote_confirm": "asks again before the vote, writes nothing",
    "funding:budget_approve": "a step", "funding:budget_return": "a step", "funding:release": "once",
    "funding:contribution_reverse": "once per contribution", "funding:bid_select": "once per proposal",
    "funding:settlement_add": "once per proposal", "funding:refund_paid": "once per refund",
    "funding:foundation_settings": "one row, updated", "funding:donation_reverse": "once per donation",
    "funding:history_run": "a check, queued once", "funding:hold_lift": "once per hold",
    "needs:confirm": "once per claim", "needs:complete": "once per project",
    "organisations:activate": "once", "organisations:graduate": "once per incubation",
    "grants:accept": "once per award", "grants:close": "once per call",
    "elections:close": "idempotent", "elections:runoff_open": "once per round",
    "needs:activity_cancel": "once per sign-up", "funding:evaluator_end": "once per appointment",
}


def _project_views():
    """(namespaced URL name, view) of every URL of the project's own apps (not Django's admin or i18n)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, ns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, ":".join(filter(None, [ns, p.namespace])) or None)
            elif isinstance(p, URLPattern) and p.name:
                yield (f"{ns}:{p.name}" if ns else p.name), p.callback

    for name, view in walk(get_resolver().url_patterns, None):
        module = getattr(inspect.unwrap(view), "__module__", "") or ""
        if not name.startswith(("admin:", "api-v1:")) and not module.startswith("django."):
            yield name, view


def _takes_post(view) -> bool:
    """Does the view answer a POST: its own code (through decorators) says POST, or a helper of its
    module that it calls branches on the method (``_handle(request, …)`` with ``request.method``)."""
    stack, seen, own = [view], set(), []
    while stack:
        f = stack.pop()
        if f in seen or not callable(f):
            continue
        seen.add(f)
        stack += [c.cell_contents for c in (getattr(f, "__closure__", None) or ()) if callable(c.cell_contents)]
        if getattr(f, "__wrapped__", None) is not None:
            stack.append(f.__wrapped__)
        if inspect.isfunction(f) and not f.__module__.startswith("django."):
            own.append(f)
    for f in own:
        source = inspect.getsource(f)
        if "POST" in source:
            return True
        helpers = (f.__globals__.get(n) for n in f.__code__.co_names)
        if any(inspect.isfunction(h) and h.__module__ == f.__module__ and "request.method" in inspect.getsource(h)
               for h in helpers):
            return True
    return False


def test_every_creating_form_has_a_rate_limit():
    """Walks every URL of every app: a view that takes a POST is either rate-limited or named above as
    creating nothing, so a new app's form cannot be forgotten."""
    views = dict(_project_views())
    posting = {name for name, view in views.items() if _takes_post(view)}
    # The walk finds the forms it must (a check of the walk itself, across the apps).
    assert {"proposals:create", "proposals:edit", "proposals:vote", "needs:raise", "grants:apply",
            "elections:ballot_cast", "organisations:register", "funding:donation_add"} <= posting
    assert {"proposals:detail", "needs:ledger", "grants:calls"} & posting == set()  # pages are not forms
    assert set(ratelimit.LIMITS) - set(views) == set()  # the table names real URLs
    assert set(NOT_CREATING) - set(views) == set()
    assert set(ratelimit.LIMITS) & set(NOT_CREATING) == set()
    unlisted = posting - set(ratelimit.LIMITS) - set(NOT_CREATING)
    assert unlisted == set(), f"add these forms to portal.ratelimit.LIMITS: {sorted(unlisted)}"


def test_the_open_data_api_takes_no_post():
    """The API (django-ninja) is read-only, so it has no form to limit; a POST operation would need one."""
    from api.api import api

    methods = {m for router in (r for _prefix, r in api._routers) for view in router.path_operations.values()
               for op in view.operations for m in op.methods}
    assert methods and methods <= {"GET"}


def test_objection_flood_gets_a_429_with_a_sentence(world, client, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "proposals:objection_file", (2, 600))
    proposal, notice = to_notice(world)
    client = as_user(client, world.residents[1])
    url = reverse("proposals:objection_file", args=[proposal.pk])
    assert client.post(url, {"obj-text": "一"}).status_code == 302
    assert client.post(url, {"obj-text": "二"}).status_code == 302
    response = client.post(url, {"obj-text": "三"})
    assert response.status_code == 429
    assert "提交得太多了" in response.content.decode()
    assert response["Retry-After"] == "600"
    assert Objection.objects.filter(notice=notice).count() == 2
    # Someone else is not limited by it.
    assert as_user(client, world.residents[2]).post(url, {"obj-text": "三"}).status_code == 302


def test_rate_limit_allows_when_the_cache_is_down(world, client, monkeypatch):
    """Redis down (a closed port): the flood guard lets people through, never a 500, and the
    per-notice limit in the database still holds."""
    from django.core.cache.backends.redis import RedisCache

    monkeypatch.setattr(ratelimit, "cache", RedisCache("redis://127.0.0.1:1/0", {}))
    monkeypatch.setitem(ratelimit.LIMITS, "proposals:objection_file", (1, 600))
    assert ratelimit.spend("yishi:rate:test", 1, 60) is True
    proposal, notice = to_notice(world)
    client = as_user(client, world.residents[1])
    url = reverse("proposals:objection_file", args=[proposal.pk])
    for n in range(MAX_OBJECTIONS_PER_NOTICE):
        assert client.post(url, {"obj-text": f"意见{n}"}).status_code == 302
    response = client.post(url, {"obj-text": "意见四"})
    assert response.status_code in (200, 409)
    assert "最多提出 3 条异议" in response.content.decode()
    assert Objection.objects.filter(notice=notice).count() == MAX_OBJECTIONS_PER_NOTICE


def test_get_requests_are_never_limited(world, client, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "proposals:create", (1, 600))
    client = as_user(client, world.residents[1])
    for _ in range(3):
        assert client.get(reverse("proposals:create")).status_code == 200
