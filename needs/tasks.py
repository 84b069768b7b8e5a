"""Needs tasks: thin, safe to run twice."""

from celery import shared_task

from . import notify


@shared_task(name="needs.tasks.notify_overdue_needs")
def notify_overdue_needs() -> int:
    return notify.overdue_needs_notify()
