"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly (settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yishi.settings")

app = Celery("yishi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
