"""The transactional outbox (issue 9, finding 3): nothing that must reach a person is lost.

Each proposal event writes an outbox row in its own transaction; the relay
(celery beat, ``manage.py relay_outbox``) delivers every pending row once per
recipient, retries failures with growing pauses and never drops a row. These
tests run the services without executing on-commit callbacks, so the fast
path (a task enqueued after commit) never runs: what arrives, the relay
delivered. The broker and worker outages themselves are in
tests/test_outbox_faults.py.
"""

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from notifications.enums import MailStatus
from notifications.enums import NotificationKind as K
from notifications.models import Notification
from outbox import services as outbox
from outbox.models import OutboxMessage
from outbox.selectors import outbox_backlog
from proposals import services as ps
from proposals.models import ProposalEvent
from tests.factories import build_world, make_proposal, to_notice
from yishi.errors import DomainError

EVENT = "proposals.event"
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


class RefusingBackend:
    """An SMTP server that answers but refuses every message."""

    def __init__(self, *args, fail_silently=False, **kwargs):
        self.fail_silently = fail_silently

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_messages(self, messages):
        raise ConnectionRefusedError("550 mailbox unavailable (test)")


class UnreachableBackend(RefusingBackend):
    """An SMTP server that cannot be reached: opening the connection fails."""

    def __enter__(self):
        raise ConnectionRefusedError("[Errno 111] Connection refused (test)")


@pytest.fixture
def world(db):
    return build_world(community_seats=3)


@pytest.fixture
def objected(world):
    """A notice with one objection filed by a resident who is not the author; no on-commit callback has run."""
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="围墙防盗刺会伤到小孩")
    event = ProposalEvent.objects.get(proposal=proposal, kind="objection_filed")
    return proposal, objection, event


def objection_recipients(world) -> set[int]:
    return {world.author.pk, *(m.pk for m in world.group_members)}


def pending() -> int:
    return OutboxMessage.objects.filter(delivered_at__isnull=True).count()


# --------------------------------------------------------------------------- written with the event


def test_outbox_row_is_written_in_the_transaction_of_each_event(world, objected):
    proposal, _objection, _event = objected
    events = set(ProposalEvent.objects.values_list("pk", flat=True))
    rows = OutboxMessage.objects.filter(topic=EVENT)
    assert set(rows.values_list("ref", flat=True)) == events
    assert not rows.filter(delivered_at__isnull=False).exists()
    # Nothing ran after commit (the test's transaction never commits), so nobody was told yet.
    assert not Notification.objects.exists()


def test_outbox_no_row_after_a_rollback_or_a_refusal(world):
    proposal = make_proposal(world)
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        ps.proposal_submit(proposal=proposal, actor=proposal.author)
        assert OutboxMessage.objects.count() == before + 1  # written inside the transaction
        raise RuntimeError("the caller's transaction fails after the service")
    assert OutboxMessage.objects.count() == before
    assert not ProposalEvent.objects.filter(proposal=proposal, kind="submitted").exists()
    with pytest.raises(DomainError):
        ps.proposal_submit(proposal=proposal, actor=world.group_members[1])  # not the author
    assert OutboxMessage.objects.count() == before


# --------------------------------------------------------------------------- the relay


def test_outbox_relay_delivers_each_notification_once_and_a_second_run_nothing_new(world, objected):
    proposal, _objection, event = objected
    rows = pending()
    mail.outbox.clear()
    result = outbox.outbox_relay()
    assert result == {"claimed": rows, "delivered": rows, "failed": 0}
    told = Notification.objects.filter(event=event, kind=K.OBJECTION_FILED)
    assert sorted(told.values_list("user_id", flat=True)) == sorted(objection_recipients(world))
    assert told.count() == 6  # the author and the five group council members, as in the issue
    objection_mail = [m.to[0] for m in mail.outbox if "异议" in m.subject]
    assert sorted(objection_mail) == sorted(u.email for u in [world.author, *world.group_members])
    assert pending() == 0
    snapshot = (Notification.objects.count(), len(mail.outbox))
    assert outbox.outbox_relay() == {"claimed": 0, "delivered": 0, "failed": 0}
    # A relay killed after its handler ran but before it marked the rows: running them all again tells nobody twice.
    OutboxMessage.objects.update(delivered_at=None)
    assert outbox.outbox_relay()["delivered"] == rows
    assert (Notification.objects.count(), len(mail.outbox)) == snapshot


def test_outbox_fast_path_delivers_right_after_commit(world, django_capture_on_commit_callbacks):
    proposal, notice = to_notice(world)
    with django_capture_on_commit_callbacks(execute=True):
        ps.objection_file(notice=notice, resident=world.residents[1], text="围墙防盗刺会伤到小孩")
    event = ProposalEvent.objects.get(proposal=proposal, kind="objection_filed")
    assert Notification.objects.filter(event=event).count() == 6
    assert OutboxMessage.objects.get(topic=EVENT, ref=event.pk).delivered_at is not None


def test_outbox_failing_row_is_retried_with_growing_pauses_and_never_dropped(db, monkeypatch):
    calls = []

    def flaky(ref):
        calls.append(ref)
        if len(calls) <= 2:
            raise RuntimeError(f"downstream unavailable ({len(calls)})")

    monkeypatch.setitem(outbox._handlers, "test.flaky", flaky)
    row = OutboxMessage.objects.create(topic="test.flaky", ref=7)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert outbox.outbox_relay()["failed"] == 1
        row.refresh_from_db()
        assert (row.attempts, row.delivered_at, row.claim) == (1, None, "")
        assert "downstream unavailable (1)" in row.last_error
        assert row.due_at == start + timedelta(seconds=30)
        assert outbox.outbox_relay()["claimed"] == 0  # not due yet
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert outbox.outbox_relay()["failed"] == 1
        row.refresh_from_db()
        assert row.attempts == 2 and row.due_at == start + timedelta(seconds=31 + 60)
    with time_machine.travel(start + timedelta(seconds=92), tick=False):
        assert outbox.outbox_relay()["delivered"] == 1
    row.refresh_from_db()
    assert row.delivered_at is not None and row.last_error == "" and row.attempts == 3
    assert calls == [7, 7, 7]
    assert outbox.backoff(20) == timedelta(hours=1)


def test_outbox_row_without_a_handler_stays_pending_with_the_reason(db):
    OutboxMessage.objects.create(topic="nobody.listens", ref=1)
    assert outbox.outbox_relay()["failed"] == 1
    row = OutboxMessage.objects.get()
    assert row.delivered_at is None and "no handler" in row.last_error


def test_outbox_row_held_by_a_dead_relay_is_taken_after_its_lease(world, objected, settings):
    _proposal, _objection, event = objected
    row = OutboxMessage.objects.get(topic=EVENT, ref=event.pk)
    start = timezone.now()
    OutboxMessage.objects.filter(pk=row.pk).update(
        claim="dead-relay", claimed_until=start + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS), attempts=1
    )
    with time_machine.travel(start, tick=False):
        outbox.outbox_relay()
        assert not Notification.objects.filter(event=event).exists()
        assert outbox.outbox_deliver(message_id=row.pk) is False  # the fast path respects the lease too
    with time_machine.travel(start + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1), tick=False):
        outbox.outbox_relay()
    assert Notification.objects.filter(event=event).count() == 6
    row.refresh_from_db()
    assert row.delivered_at is not None and row.attempts == 2


# --------------------------------------------------------------------------- mail


@pytest.mark.parametrize("backend", [RefusingBackend, UnreachableBackend])
def test_outbox_mail_that_failed_is_retried_by_the_relay_once(world, objected, settings, backend):
    _proposal, _objection, event = objected
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.{backend.__name__}"}}
    mail.outbox.clear()
    outbox.outbox_relay()
    told = Notification.objects.filter(event=event)
    assert told.count() == 6  # the inbox does not wait for mail
    assert set(told.values_list("mail_status", flat=True)) <= {MailStatus.FAILED, MailStatus.PENDING}
    retries = OutboxMessage.objects.filter(topic="notifications.mail", delivered_at__isnull=True)
    assert set(retries.values_list("ref", flat=True)) >= set(told.values_list("pk", flat=True))
    # The server comes back; the relay sends each waiting mail after its pause, once.
    settings.MAILERS = LOCMEM
    later = timezone.now() + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        outbox.outbox_relay()
    objection_mail = sorted(m.to[0] for m in mail.outbox if "异议" in m.subject)
    assert objection_mail == sorted(u.email for u in [world.author, *world.group_members])
    assert set(told.values_list("mail_status", flat=True)) == {MailStatus.SENT}
    sent = len(mail.outbox)
    OutboxMessage.objects.update(delivered_at=None)
    with time_machine.travel(later + timedelta(minutes=2), tick=False):
        outbox.outbox_relay()
    assert len(mail.outbox) == sent


def test_outbox_mail_retry_while_the_server_still_fails_keeps_waiting(world, objected, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    outbox.outbox_relay()
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        result = outbox.outbox_relay()
    retries = OutboxMessage.objects.filter(topic="notifications.mail")
    assert result["failed"] == retries.count() > 6 and result["delivered"] == 0
    assert all(r.attempts == 1 and "550" in r.last_error and r.delivered_at is None for r in retries)
    assert set(Notification.objects.values_list("mail_status", flat=True)) == {MailStatus.FAILED}


# --------------------------------------------------------------------------- operators


def test_relay_outbox_command_delivers_and_reports(world, objected):
    out = StringIO()
    call_command("relay_outbox", "--status", stdout=out)
    assert "delivered 0" in out.getvalue() and f"pending {pending()}" in out.getvalue()
    assert not Notification.objects.exists()
    out = StringIO()
    rows = pending()
    call_command("relay_outbox", "--limit", "2", stdout=out)  # several batches until nothing is due
    assert out.getvalue().startswith(f"delivered {rows}, failed 0; pending 0")
    assert Notification.objects.filter(kind=K.OBJECTION_FILED).count() == 6


def test_relay_outbox_command_fails_when_a_row_fails(db):
    OutboxMessage.objects.create(topic="nobody.listens", ref=1)
    with pytest.raises(CommandError, match="1 outbox message"):
        call_command("relay_outbox", stdout=StringIO())


def test_outbox_backlog_in_healthz_detail_and_the_relay_log(db, client, caplog, settings):
    OutboxMessage.objects.create(topic="nobody.listens", ref=1, created_at=timezone.now() - timedelta(minutes=20))
    OutboxMessage.objects.create(topic="nobody.listens", ref=2)
    OutboxMessage.objects.create(topic="nobody.listens", ref=3, delivered_at=timezone.now())
    body = client.get("/healthz?detail=1").json()
    assert body["outbox"]["pending"] == 2 and body["outbox"]["failing"] == 0
    assert 20 * 60 <= body["outbox"]["oldest_pending_seconds"] < 21 * 60
    assert "outbox" not in client.get("/healthz").json()
    settings.OUTBOX_BACKLOG_WARN_SECONDS = 600
    with caplog.at_level("WARNING", logger="outbox.services"):
        outbox.outbox_relay()
    assert any("outbox backlog: 2 pending" in r.getMessage() for r in caplog.records)
    assert outbox_backlog()["failing"] == 2


# --------------------------------------------------------------------------- two relays at once


def run_relays_at_once(count: int, limit: int) -> list:
    barrier = threading.Barrier(count)
    errors = []

    def relay():
        try:
            barrier.wait(timeout=30)
            claimed = True
            while claimed:  # until a round finds nothing left to claim
                claimed = outbox.outbox_relay(limit=limit)["claimed"]
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outbox_two_concurrent_relays_hand_each_row_over_once(postgres, monkeypatch):
    calls, lock = [], threading.Lock()

    def slow(ref):
        with lock:
            calls.append(ref)
        time.sleep(0.01)  # long enough for the other relay to reach the same rows

    monkeypatch.setitem(outbox._handlers, "test.count", slow)
    OutboxMessage.objects.bulk_create([OutboxMessage(topic="test.count", ref=n) for n in range(60)])
    assert run_relays_at_once(2, limit=5) == []
    assert sorted(calls) == list(range(60))
    assert pending() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outbox_two_concurrent_relays_tell_each_person_once(postgres, monkeypatch):
    # Real commits here: keep the fast path from delivering, as a broker that is down would.
    monkeypatch.setattr(outbox, "_enqueue", lambda message_id: None)
    world = build_world(community_seats=3)
    proposal, notice = to_notice(world)
    ps.objection_file(notice=notice, resident=world.residents[1], text="围墙防盗刺会伤到小孩")
    event = ProposalEvent.objects.get(proposal=proposal, kind="objection_filed")
    mail.outbox.clear()
    assert run_relays_at_once(2, limit=1) == []
    told = Notification.objects.filter(event=event)
    assert sorted(told.values_list("user_id", flat=True)) == sorted(objection_recipients(world))
    objection_mail = [m.to[0] for m in mail.outbox if "异议" in m.subject]
    assert sorted(objection_mail) == sorted(u.email for u in [world.author, *world.group_members])
    assert pending() == 0


def test_outbox_admin_lists_rows_read_only(world, objected, client):
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    outbox.outbox_relay()
    OutboxMessage.objects.create(topic="nobody.listens", ref=1, last_error="LookupError: no handler")
    changelist = reverse("admin:outbox_outboxmessage_changelist")
    response = client.get(changelist, {"delivered_at__isempty": "1"})
    assert response.status_code == 200 and "nobody.listens" in response.content.decode()
    row = OutboxMessage.objects.first()
    assert client.get(reverse("admin:outbox_outboxmessage_change", args=[row.pk])).status_code == 200
    count = OutboxMessage.objects.count()
    assert client.post(reverse("admin:outbox_outboxmessage_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.count() == count


def test_outbox_relay_is_scheduled_every_minute(settings):
    from outbox import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["relay-outbox"]
    assert entry == {"task": tasks.relay_outbox.name, "schedule": 60.0}
    assert tasks.relay_outbox.name == "outbox.tasks.relay_outbox"
