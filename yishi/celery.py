"""The Celery app, configured from Django settings (namespace ``CELERY``).

Without CELERY_BROKER_URL every task runs eagerly in the caller's process
(settings), so the demo needs no Redis. Tasks live in each app's ``tasks.py``;
they take ids, call one service, and are safe to run twice or on two workers
at once. The beat schedule is ``CELERY_BEAT_SCHEDULE`` in settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yishi.settings")

app = Celery("yishi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="yishi.ping")
def ping() -> str:
    """A round trip through the broker: the worker answers ``pong``."""
    return "pong"
