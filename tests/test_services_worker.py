"""Real Celery workers against the local Redis and a shared PostgreSQL test database.

Each worker is a separate process (``celery worker --pool=solo``) started by
the fixture with ``DATABASE_URL`` pointing at this test run's database and
``CELERY_BROKER_URL`` at a Redis database of its own (9 unless
YISHI_TEST_REDIS_URL says otherwise), and stopped by its PID at the end, also
when a test fails. Without PostgreSQL or Redis these tests skip, and fail
instead when YISHI_REQUIRE_POSTGRES / YISHI_REQUIRE_REDIS are set (CI).
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import time_machine
from celery import Celery
from django.db import connection
from django.utils import timezone

from notifications.enums import NotificationKind as K
from notifications.models import Notification
from proposals import services as ps
from proposals.enums import EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, ProposalEvent, Resolution
from tests.factories import backdate_memberships, build_world, to_group_review, to_notice
from tests.test_healthz import REDIS_URL, closed_port, require_redis
from yishi.errors import DomainError

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent
QUEUE = "celery"
CLOSE_EVENTS = (EventKind.ADOPTED, EventKind.BALLOT_CLOSED, EventKind.APPROVED, EventKind.REJECTED)


def database_url() -> str:
    """The URL of the test database this run created, for the worker processes."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """One ``celery worker`` process; ``stop()`` ends exactly this PID."""

    def __init__(self, name: str, broker_url: str, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.pop("TEST_DATABASE_NAME", None)
        env.update(
            DATABASE_URL=database_url(), CELERY_BROKER_URL=broker_url, CELERY_RESULT_BACKEND=broker_url,
            DJANGO_SETTINGS_MODULE="yishi.settings", LOG_LEVEL="INFO", PYTHONUNBUFFERED="1",
        )
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "yishi", "worker", "--pool=solo", "-n", f"{name}@%h",
             "-Q", QUEUE, "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"worker {self.name} exited with {self.proc.returncode}:\n{self.log[-4000:]}")
            if "ready." in self.log:
                return
            time.sleep(0.2)
        pytest.fail(f"worker {self.name} not ready after {timeout}s:\n{self.log[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def broker(postgres):
    """Our own Redis database, emptied before and after."""
    url = require_redis(REDIS_URL)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def workers(broker, tmp_path):
    """``workers(n)`` starts n workers and waits until each is ready; all are stopped afterwards."""
    started: list[Worker] = []

    def start(n: int = 1) -> list[Worker]:
        new = [Worker(f"yishi-test-{len(started) + i + 1}", broker, tmp_path) for i in range(n)]
        started.extend(new)
        for worker in new:
            worker.wait_ready()
        return new

    yield start
    for worker in started:
        worker.stop()
    assert all(w.proc.poll() is not None for w in started), "a worker is still running"


@pytest.fixture
def client_app(broker):
    """A Celery client that sends by task name and reads results from Redis."""
    app = Celery("yishi-test-client", broker=broker, backend=broker, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = True
    yield app
    app.close()


@contextmanager
def publishing_to(url: str):
    """The project's own Celery app publishes to ``url`` instead of running tasks eagerly."""
    from yishi.celery import app

    keys = ("broker_url", "task_always_eager")
    saved = {k: app.conf[k] for k in keys}
    app.conf.update(broker_url=url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield app
    finally:
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def overdue_group_ballot(world, *, title: str) -> Ballot:
    """A group ballot opened three days ago that closed (by its time) a day ago, with 3 of 5 approving."""
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        proposal = to_group_review(world, title=title)
        ballot = ps.group_ballot_open(
            proposal=proposal, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=2)
        )
        for member in world.group_members[:3]:
            ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    return ballot


# --------------------------------------------------------------------------- tests


def test_task_round_trip_through_a_real_worker(workers, client_app):
    [worker] = workers(1)
    result = client_app.send_task("yishi.ping")
    assert result.get(timeout=60, disable_sync_subtasks=False) == "pong"
    # The result is stored just before the worker logs it.
    wait_for(lambda: "yishi.ping" in worker.log and "succeeded" in worker.log, timeout=10, what="the worker's log")


def test_event_notifications_are_delivered_by_the_worker_after_commit(workers, broker):
    workers(1)
    world = build_world(community_seats=3)
    with publishing_to(broker):
        proposal = to_group_review(world)  # the commit enqueues notify_event; the worker does it
    told = Notification.objects.filter(kind=K.REVIEW_NEEDED, proposal=proposal)
    rows = wait_for(lambda: set(told.values_list("user_id", flat=True)), what="review notifications from the worker")
    assert rows == {u.pk for u in world.group_members}


def test_two_workers_close_each_overdue_ballot_exactly_once(workers, client_app):
    world = build_world(community_seats=3)
    backdate_memberships(world)
    ballots = [overdue_group_ballot(world, title=f"北苑后门维修 {n}") for n in range(3)]
    assert set(ps.ballots_due()) == set(ballots)
    first, second = workers(2)
    # Both workers are idle: each takes one of the two jobs sent at the same moment.
    results = [client_app.send_task("proposals.tasks.close_due_ballots") for _ in range(2)]
    outcomes = [r.get(timeout=90, disable_sync_subtasks=False) for r in results]
    assert all(set(o) <= {b.pk for b in ballots} for o in outcomes)
    for ballot in ballots:
        ballot.refresh_from_db()
        assert ballot.closed_at is not None and ballot.outcome == "passed" and ballot.closed_by is None
        closes = ProposalEvent.objects.filter(proposal=ballot.proposal, kind__in=CLOSE_EVENTS)
        assert closes.count() == 1, list(closes.values("kind", "data"))
        assert Resolution.objects.filter(proposal=ballot.proposal).count() == 1
        ballot.proposal.refresh_from_db()
        assert ballot.proposal.status == S.ADOPTED
    wait_for(lambda: "close_due_ballots" in first.log and "close_due_ballots" in second.log, timeout=10,
             what="both workers to log the job")
    assert not ps.ballots_due().exists()


def test_with_no_worker_running_rules_hold_and_messages_wait_in_the_queue(workers, broker):
    world = build_world(community_seats=3)
    backdate_memberships(world, days=30)
    ballot = overdue_group_ballot(world, title="北苑路灯")
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        noticed, _notice = to_notice(world, title="北苑后门维修")
    queue = redis.Redis.from_url(broker)
    with publishing_to(broker):
        # R7: the ballot's time is up although no job has closed it: the vote is refused.
        with pytest.raises(DomainError, match="截止"):
            ps.vote_cast(ballot=ballot, voter=world.group_members[4], choice="approve")
        # R6: the notice ran its full time although no job said so: submission goes through.
        ps.proposal_submit_to_community(proposal=noticed, actor=world.group_members[0])
        ps.hold_place(proposal=noticed, supervisor=world.supervisor, reason="合同价格需要复核")
    noticed.refresh_from_db()
    assert noticed.status == S.SUBMITTED
    ballot.refresh_from_db()
    assert ballot.closed_at is None and not ballot.votes.filter(voter=world.group_members[4]).exists()
    assert queue.llen(QUEUE) == 2  # both messages wait for a worker
    assert not Notification.objects.filter(kind=K.HOLD_PLACED).exists()
    # A worker that starts later only delivers late.
    workers(1)
    # The money's watchers: the group council, community staff (the staff member and the party
    # organisation's member, who holds a community post) and the street's staff member.
    watchers = len(world.group_members) + 3
    wait_for(lambda: Notification.objects.filter(kind=K.HOLD_PLACED).count() == watchers,
             timeout=120, what="the hold notifications from the late worker")
    assert queue.llen(QUEUE) == 0


def test_with_the_broker_unreachable_actions_still_succeed_quickly(postgres):
    world = build_world(community_seats=3)
    backdate_memberships(world, days=30)
    ballot = overdue_group_ballot(world, title="北苑路灯")
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        noticed, _notice = to_notice(world, title="北苑后门维修")
    started = time.monotonic()
    with publishing_to(f"redis://127.0.0.1:{closed_port()}/9"):
        with pytest.raises(DomainError, match="截止"):
            ps.vote_cast(ballot=ballot, voter=world.group_members[4], choice="approve")
        ps.proposal_submit_to_community(proposal=noticed, actor=world.group_members[0])
    assert time.monotonic() - started < 20
    noticed.refresh_from_db()
    assert noticed.status == S.SUBMITTED
