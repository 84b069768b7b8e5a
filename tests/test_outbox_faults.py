"""Issue 9, finding 3 under real faults: Redis stopped, a worker killed mid-delivery.

Each test starts a private ``redis-server`` on a free port as the broker (the
shared Redis is never touched), real ``celery worker`` processes on this run's
PostgreSQL test database, and stops exactly the processes it started. The
actions go through the public services with the project's Celery app
publishing to that broker, as the web process does in production.
Without PostgreSQL, Redis or ``redis-server`` these tests skip, and fail
instead when YISHI_REQUIRE_POSTGRES / YISHI_REQUIRE_REDIS are set (CI).
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.utils import timezone

from notifications.enums import MailStatus
from notifications.enums import NotificationKind as K
from notifications.models import Notification
from outbox.models import OutboxMessage
from proposals import services as ps
from proposals.models import ProposalEvent
from tests.factories import to_group_review, to_notice
from tests.test_healthz import closed_port
from tests.test_services_worker import Worker, publishing_to, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

EVENT = "proposals.event"


class PrivateRedis:
    """A ``redis-server`` of this test only, on a free port, without persistence; stopped by its PID."""

    def __init__(self, workdir: Path):
        self.port = closed_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._log = open(self.workdir / f"redis-{self.port}.log", "a")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for(lambda: self._ping(client), timeout=30, what="the private redis-server")

    def _ping(self, client) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"redis-server exited with {self.proc.returncode}")
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None:
            self._log.close()
        self.proc = None


@pytest.fixture
def private_redis(postgres, tmp_path):
    if shutil.which("redis-server") is None:
        message = "needs the redis-server binary to start a private Redis"
        if os.environ.get("YISHI_REQUIRE_REDIS"):
            pytest.fail(f"YISHI_REQUIRE_REDIS is set but {message}")
        pytest.skip(message)
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(private_redis, tmp_path):
    """``start_worker()`` starts one worker on the private broker and waits until it is ready."""
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(f"outbox-test-{len(started) + 1}", private_redis.url, tmp_path)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
    assert all(w.proc.poll() is not None for w in started), "a worker is still running"


def relay_through_a_worker(url: str) -> None:
    """What celery beat does every minute: send ``outbox.tasks.relay_outbox`` to the workers."""
    app = Celery("outbox-test-beat", broker=url, set_as_current=False)
    try:
        app.send_task("outbox.tasks.relay_outbox")
    finally:
        app.close()


def told(event) -> list[int]:
    return sorted(Notification.objects.filter(event=event).values_list("user_id", flat=True))


def test_outbox_actions_during_a_redis_outage_notify_everyone_once_after_it(private_redis, start_worker):
    from tests.factories import build_world

    world = build_world(community_seats=3)
    proposal, notice = to_notice(world)
    worker = start_worker()
    chair = world.group_members[0]
    recipients = sorted([world.author.pk, *(m.pk for m in world.group_members)])

    # Redis up: the objection's notifications come through the worker.
    with publishing_to(private_redis.url):
        ps.objection_file(notice=notice, resident=world.residents[1], text="围墙防盗刺会伤到小孩")
    before = ProposalEvent.objects.filter(proposal=proposal, kind="objection_filed").latest("seq")
    wait_for(lambda: len(told(before)) == 6, what="notifications of the objection filed with Redis up")
    assert told(before) == recipients

    # Redis down: the actions still succeed, quickly, and nobody is told yet.
    private_redis.stop()
    started = time.monotonic()
    with publishing_to(private_redis.url):
        ps.objection_file(notice=notice, resident=world.residents[2], text="消防通道的位置需要再商量")
        lamp = to_group_review(world, title="北苑路灯")
        ballot = ps.group_ballot_open(proposal=lamp, actor=chair, closes_at=timezone.now() + timedelta(days=2))
        ps.vote_cast(ballot=ballot, voter=world.group_members[1], choice="approve")
    assert time.monotonic() - started < 60
    during = ProposalEvent.objects.filter(proposal=proposal, kind="objection_filed").latest("seq")
    assert during.pk != before.pk
    opened = ProposalEvent.objects.get(proposal=lamp, kind="ballot_opened")
    submitted = ProposalEvent.objects.get(proposal=lamp, kind="submitted")
    time.sleep(2)
    assert told(during) == [] and told(opened) == [] and told(submitted) == []
    waiting = OutboxMessage.objects.filter(delivered_at__isnull=True)
    assert set(waiting.values_list("ref", flat=True)) >= {during.pk, opened.pk, submitted.pk}

    # Redis back: the relay (beat's job, run by a worker) delivers every waiting row once.
    private_redis.start()
    if worker.proc.poll() is not None:  # a worker that gave up on the broker is replaced
        worker = start_worker()
    relay_through_a_worker(private_redis.url)
    wait_for(lambda: not OutboxMessage.objects.filter(delivered_at__isnull=True).exists(), timeout=120,
             what="the relay to deliver the rows written during the outage")
    assert told(during) == told(before) == recipients  # 6, as with Redis up
    assert told(submitted) == sorted(m.pk for m in world.group_members)
    assert told(opened) == sorted(m.pk for m in world.group_members)
    assert Notification.objects.filter(event=opened, kind=K.VOTE_NEEDED).count() == 5
    # A second relay run tells nobody again.
    count = Notification.objects.count()
    relay_through_a_worker(private_redis.url)
    wait_for(lambda: worker.log.count("outbox.tasks.relay_outbox") >= 4, timeout=60, what="the second relay run")
    assert Notification.objects.count() == count


class Tarpit:
    """A mail server that accepts connections and never answers: a delivery hangs inside it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_outbox_worker_killed_mid_delivery_then_a_new_relay_completes_it_once(
    private_redis, start_worker, monkeypatch
):
    from tests.factories import build_world

    world = build_world(community_seats=3)
    proposal, notice = to_notice(world)
    tarpit = Tarpit()
    try:
        # The first worker mails through the hanging server and gives up its claims after 5 s.
        monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("EMAIL_PORT", str(tarpit.port))
        monkeypatch.setenv("EMAIL_USE_TLS", "0")
        monkeypatch.setenv("OUTBOX_LEASE_SECONDS", "5")
        first = start_worker()
        with publishing_to(private_redis.url):
            ps.objection_file(notice=notice, resident=world.residents[1], text="围墙防盗刺会伤到小孩")
        event = ProposalEvent.objects.filter(proposal=proposal, kind="objection_filed").latest("seq")
        wait_for(lambda: tarpit.accepted, what="the first worker to reach the mail server")
        # Mid-delivery: the inbox rows are written, no mail has gone out, the row is claimed.
        row = OutboxMessage.objects.get(topic=EVENT, ref=event.pk)
        assert row.delivered_at is None and row.claim
        assert len(told(event)) == 6
        assert set(Notification.objects.filter(event=event).values_list("mail_status", flat=True)) == {
            MailStatus.PENDING
        }
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
    finally:
        tarpit.close()

    # A new worker with a working mail server (the console) relays after the dead worker's lease ran out.
    for name in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "OUTBOX_LEASE_SECONDS"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("DEBUG", "1")
    second = start_worker()
    row.refresh_from_db()
    wait_for(lambda: timezone.now() > row.claimed_until, timeout=30, what="the dead worker's lease to run out")
    relay_through_a_worker(private_redis.url)
    wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).delivered_at is not None, timeout=120,
             what="the new worker to complete the delivery")
    recipients = [world.author, *world.group_members]
    assert told(event) == sorted(u.pk for u in recipients)
    assert set(Notification.objects.filter(event=event).values_list("mail_status", flat=True)) == {MailStatus.SENT}
    wait_for(lambda: "relay_outbox" in second.log and "succeeded" in second.log, timeout=30, what="the relay log")
    for user in recipients:
        assert second.log.count(f"To: {user.email}") == 1, user.email
