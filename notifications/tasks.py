"""Notification tasks: ids in, one service call, safe to run twice or on two workers."""

from celery import shared_task

from . import services


# New events reach event_notify through the outbox (outbox.tasks.deliver_message); this task
# stays for messages queued by an earlier version, and for operators who send it by name.
@shared_task(name="notifications.tasks.notify_event", acks_late=True)
def notify_event(event_id: int) -> int:
    return services.event_notify(event_id=event_id)


@shared_task(name="notifications.tasks.remind_ballot_electors")
def remind_ballot_electors() -> int:
    return services.ballot_reminders_send()


@shared_task(name="notifications.tasks.notify_ended_notices")
def notify_ended_notices() -> int:
    return services.notices_ended_notify()


@shared_task(name="notifications.tasks.remind_monthly_meetings")
def remind_monthly_meetings() -> int:
    return services.meeting_reminders_send()


@shared_task(name="notifications.tasks.send_digests")
def send_digests() -> int:
    return services.digests_send()
