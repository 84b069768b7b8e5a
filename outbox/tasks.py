"""Outbox tasks: the fast path for one new row, and the relay that celery beat runs every minute."""

from celery import shared_task

from . import services


@shared_task(name="outbox.tasks.deliver_message", acks_late=True)
def deliver_message(message_id: int) -> bool:
    return services.outbox_deliver(message_id=message_id)


@shared_task(name="outbox.tasks.relay_outbox")
def relay_outbox() -> dict:
    return services.outbox_relay()
