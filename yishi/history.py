"""Append-only history rows for the apps that keep a plain event log.

``AppendOnlyQuerySet`` refuses bulk updates and deletes; ``AppendOnlyModel``
refuses saving an existing row again and deleting one. Services only ever
insert (``objects.create``); the admin shows these rows read-only.
"""

from django.db import models


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("History rows are append-only.")

    def delete(self):
        raise AppendOnlyError("History rows are append-only.")

    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("History rows are append-only.")
