"""Needs tasks: thin, safe to run twice."""

from celery import shared_task

from . import notify


@shared_task(name="needs.tasks.notify_overdue_needs")
def notify_overdue_needs() -> int:
    return notify.overdue_needs_notify()


@shared_task(name="needs.tasks.remind_activities")
def remind_activities() -> int:
    from .activities import activity_reminders_send

    return activity_reminders_send()
