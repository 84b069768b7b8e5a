"""Yishi as a city runs it: several web replicas behind a proxy, several beats by mistake, a
rolling restart under load. Real gunicorn and Celery processes on 127.0.0.1, this run's PostgreSQL
test database and Redis (tests/multiprocess.py); in CI both are required and a missing one fails.

What is proven here is that no state that matters lives in one process: the tally, sessions and
login lockouts are the same whichever replica answers, and a doubled scheduler doubles nothing.
"""

import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from proposals.enums import EventKind
from proposals.models import Ballot, ProposalEvent, Vote
from tests.factories import build_world, to_community_vote
from tests.multiprocess import BASE_DIR, Client, Process, Proxy, Replica, collect_static, production_env
from tests.test_healthz import REDIS_URL, require_redis

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "multi-replica-pass-2026"
# The events a closing community ballot writes (one of them, once).
CLOSE_EVENTS = (EventKind.BALLOT_CLOSED, EventKind.APPROVED, EventKind.REJECTED)
# Factories keep the fast hasher; the users who log in get production's (PBKDF2) hash.
HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture
def services_env(postgres, settings, tmp_path):
    """Production settings for child processes, on this run's database and our own Redis db."""
    url = require_redis(REDIS_URL)
    client = redis.Redis.from_url(url)
    client.flushdb()
    # Children run production's password hashers; the users they log in must match.
    settings.PASSWORD_HASHERS = HASHERS
    env = production_env(url)
    collect_static(env)
    yield env
    client.flushdb()


@pytest.fixture
def replicas(services_env, tmp_path):
    started: list[Replica] = []

    def start(n: int = 2) -> list[Replica]:
        new = [Replica(f"web-{len(started) + i + 1}", services_env, tmp_path).start() for i in range(n)]
        started.extend(new)
        return [replica.wait_ready() for replica in new]

    yield start
    for replica in started:
        replica.stop()


def with_password(*users):
    for user in users:
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])


def approvals_in(html: str) -> int:
    match = re.search(r'class="tally-approve"><strong>(\d+)</strong>', html)
    assert match, html[:2000]
    return int(match.group(1))


def cast(client: Client, ballot: Ballot, choice: str = "approve"):
    path = f"/ballots/{ballot.pk}/vote/"
    return client.post(path, {"choice": choice, "confirm": "on"}, form_path=f"/ballots/{ballot.pk}/")


def test_vote_through_one_replica_shows_in_the_tally_through_the_other_at_once(replicas):
    world = build_world()
    _proposal, ballot = to_community_vote(world)
    elector, reader = world.community_members[:2]
    with_password(elector, reader)
    one, two = replicas(2)

    voter = Client(one.port)
    status, headers, _body = voter.login(elector.username, PASSWORD)
    assert status == 302, headers
    watcher = Client(two.port)
    assert watcher.login(reader.username, PASSWORD)[0] == 302
    tally = f"/ballots/{ballot.pk}/tally/"
    assert approvals_in(watcher.get(tally)[2]) == 0

    status, _headers, _body = cast(voter, ballot)
    assert status in {200, 302}
    assert Vote.objects.filter(ballot=ballot, voter=elector).count() == 1
    # The very next poll through the other replica counts it: no per-process cache.
    assert approvals_in(watcher.get(tally)[2]) == 1


def test_a_session_made_on_one_replica_is_valid_on_the_other(replicas):
    world = build_world()
    resident = world.residents[0]
    with_password(resident)
    one, two = replicas(2)
    browser = Client(one.port)
    assert browser.login(resident.username, PASSWORD)[0] == 302
    status, _headers, body = browser.at(two.port).get("/me/")
    assert status == 200
    assert resident.full_name in body
    # And signing out on the second ends it on the first.
    browser.at(two.port).post("/accounts/logout/", {}, form_path="/me/")
    status, headers, _body = browser.get("/me/")
    assert status == 302 and "/accounts/login/" in headers["Location"]


def test_a_login_lockout_counted_on_one_replica_applies_on_the_other(replicas):
    world = build_world()
    resident = world.residents[0]
    with_password(resident)
    one, two = replicas(2)
    # The same client address, as the ingress reports it, on both replicas.
    attacker = Client(one.port, forwarded_for="203.0.113.7")
    for _ in range(8):
        attacker.login(resident.username, "wrong-password")
    status, _headers, _body = Client(two.port, forwarded_for="203.0.113.7").login(resident.username, PASSWORD)
    assert status != 302, "the lockout counted on replica one did not hold on replica two"
    # Another address is not locked out of its own account by that attacker.
    other = Client(two.port, forwarded_for="198.51.100.9")
    helper = world.residents[1]
    with_password(helper)
    assert other.login(helper.username, PASSWORD)[0] == 302


def beat_schedule_due_now(env: dict, path) -> None:
    """A beat schedule file whose every entry last ran long ago, so a new beat sends them all at once
    instead of after each interval (what two beats started by mistake at a deploy would do)."""
    script = (
        "import sys, datetime as dt\n"
        "from yishi.celery import app\n"
        "from celery.beat import PersistentScheduler\n"
        "s = PersistentScheduler(app=app, schedule_filename=sys.argv[1])\n"
        "for entry in s.schedule.values():\n"
        "    entry.last_run_at = app.now() - dt.timedelta(days=400)\n"
        "s.sync(); s.close()\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_two_beats_close_each_due_ballot_once_and_send_each_reminder_once(services_env, tmp_path):
    from notifications.models import Notification

    world = build_world()
    # A ballot that closed a minute ago and that no job has closed yet.
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        _p1, due = to_community_vote(world, closes_in=timedelta(hours=2) - timedelta(minutes=1))
    # A second community in the same run, its ballot closing within the reminder window.
    other = build_world(prefix="乙")
    _p2, closing = to_community_vote(other, closes_in=timedelta(hours=3))

    processes: list[Process] = []
    try:
        for n in (1, 2):
            schedule = tmp_path / f"beat-{n}.schedule"
            beat_schedule_due_now(services_env, schedule)
            processes.append(Process(f"beat-{n}", [sys.executable, "-m", "celery", "-A", "yishi", "beat",
                                                    "--schedule", str(schedule), "--loglevel", "INFO"],
                                     services_env, tmp_path).start())
        for n in (1, 2):
            processes.append(Process(f"worker-{n}", [sys.executable, "-m", "celery", "-A", "yishi", "worker",
                                                      "--pool=solo", "-n", f"mp-{n}@%h", "--loglevel", "INFO",
                                                      "--without-gossip", "--without-mingle"],
                                     services_env, tmp_path).start())
        deadline = time.monotonic() + 120
        reminded = set()
        while time.monotonic() < deadline:
            due.refresh_from_db()
            reminded = set(Notification.objects.filter(key=f"ballot:{closing.pk}").values_list("user_id", flat=True))
            sent = sum("close_due_ballots" in p.log and "Sending due task" in p.log for p in processes[:2])
            if due.closed_at is not None and len(reminded) == 37 and sent == 2:
                break
            time.sleep(1)
        time.sleep(3)  # let the second beat's tasks finish too
        logs = f"reminded {len(reminded)}, sent {sent}\n" + "\n".join(p.log[-2000:] for p in processes)
        # Both beats really sent the jobs …
        for beat in processes[:2]:
            assert "close_due_ballots" in beat.log, logs
            assert "remind_ballot_electors" in beat.log, logs
    finally:
        for process in processes:
            process.stop()
    # … and each ballot closed once, each elector was reminded once.
    due.refresh_from_db()
    assert due.closed_at is not None, logs
    closes = ProposalEvent.objects.filter(proposal=due.proposal, kind__in=CLOSE_EVENTS)
    assert closes.count() == 1
    reminders = Notification.objects.filter(key=f"ballot:{closing.pk}")
    assert reminders.count() == 37 == len(set(reminders.values_list("user_id", flat=True)))


def test_a_rolling_restart_under_load_loses_no_vote_and_answers_no_5xx(replicas):
    world = build_world()
    _proposal, ballot = to_community_vote(world)
    electors = world.community_members[:10]
    with_password(*electors)
    one, two = replicas(2)
    statuses: list[int] = []
    accepted: list[int] = []
    lock = threading.Lock()

    with Proxy([one, two]) as proxy:
        clients = []
        for elector in electors:
            client = Client(proxy.port)
            assert client.login(elector.username, PASSWORD)[0] == 302
            clients.append((elector, client))
        stop = threading.Event()

        def readers():
            reader = Client(proxy.port)
            for _ in range(300):  # bounded
                if stop.is_set():
                    return
                status = reader.get(f"/proposals/{ballot.proposal_id}/")[0]
                with lock:
                    statuses.append(status)

        def voters():
            for elector, client in clients:
                status = cast(client, ballot)[0]
                with lock:
                    statuses.append(status)
                    if status in {200, 302}:
                        accepted.append(elector.pk)
                time.sleep(1.0)  # votes keep coming while replica one restarts

        threads = [threading.Thread(target=readers), threading.Thread(target=voters)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        # The deploy: replica one gets SIGTERM (gunicorn finishes requests in flight), then comes back.
        one.stop(signal.SIGTERM)
        time.sleep(1)
        one.start()
        one.wait_ready()
        for thread in threads[1:]:
            thread.join(timeout=120)
        stop.set()
        threads[0].join(timeout=60)

    assert statuses and all(status < 500 for status in statuses), sorted(set(statuses))
    stored = set(Vote.objects.filter(ballot=ballot).values_list("voter_id", flat=True))
    assert stored == set(accepted)
    assert len(accepted) == len(electors)
