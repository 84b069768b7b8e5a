"""Migrations must be safe while the previous release still runs (a rolling deploy runs old and
new code against the new schema for a while; docs/operations.md, "Migrations").

So a migration never drops or renames a column or table in the release that stops reading it:
first a release stops reading it, then a later release removes it. A removal is allowed only when
it is listed below with the release that stopped reading the column — a reviewer's decision, not
an accident. Adding a NOT NULL column needs a database default (``db_default``) for the same
reason: the old code inserts rows without it.
"""

from django.db import connection
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader

# (app, migration, operation description) -> the release whose code stopped reading it.
CONTRACTIONS_REVIEWED: dict[tuple[str, str, str], str] = {}

DESTRUCTIVE = (ops.RemoveField, ops.RenameField, ops.DeleteModel, ops.RenameModel)
PROJECT_APPS = {"councils", "proposals", "funding", "notifications", "portal", "organisations", "needs",
                "grants", "elections", "outbox", "api"}


def project_migrations():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app in PROJECT_APPS:
            yield app, name, migration


def unsafe_operations(migrations=None) -> list[str]:
    found = []
    for app, name, migration in migrations if migrations is not None else project_migrations():
        # Tables created by this same migration have no old code reading or writing them.
        created = {op.name.lower() for op in migration.operations if isinstance(op, ops.CreateModel)}
        for operation in migration.operations:
            key = (app, name, operation.describe())
            if isinstance(operation, DESTRUCTIVE) and key not in CONTRACTIONS_REVIEWED:
                found.append(f"{app}.{name}: {operation.describe()}")
            if isinstance(operation, ops.AddField) and not migration.initial and operation.model_name_lower not in created:
                field = operation.field
                needs_value = not field.null and not field.many_to_many and not field.primary_key
                if needs_value and getattr(field, "db_default", None) is _no_db_default() and key not in CONTRACTIONS_REVIEWED:
                    # Django fills existing rows from ``default`` during the migration, but the
                    # previous release's INSERTs still omit the column.
                    found.append(f"{app}.{name}: {operation.describe()} is NOT NULL without db_default")
            if isinstance(operation, ops.RunSQL):
                sql = str(operation.sql).lower()
                if ("drop column" in sql or "rename column" in sql or "drop table" in sql) and key not in CONTRACTIONS_REVIEWED:
                    found.append(f"{app}.{name}: RunSQL drops or renames ({operation.describe()})")
    return found


def _no_db_default():
    from django.db.models.fields import NOT_PROVIDED

    return NOT_PROVIDED


def test_no_migration_drops_or_renames_what_the_previous_release_reads(db):
    assert sum(1 for _ in project_migrations()) >= 5  # the scan sees the project's migrations
    assert unsafe_operations() == []


def test_the_check_catches_a_dropped_column(db, monkeypatch):
    """The check can fail: a RemoveField slipped into a migration is reported."""
    app, name, migration = next(project_migrations())
    monkeypatch.setattr(migration, "operations", [*migration.operations,
                                                  ops.RemoveField(model_name="proposal", name="summary")])
    assert any("Remove field summary" in line for line in unsafe_operations([(app, name, migration)]))


def test_the_check_catches_a_not_null_column_without_a_database_default(db, monkeypatch):
    from django.db import models

    app, name, migration = [m for m in project_migrations() if not m[2].initial][0]
    added = ops.AddField(model_name="proposal", name="priority", field=models.IntegerField(default=0))
    monkeypatch.setattr(migration, "operations", [*migration.operations, added])
    assert any("priority" in line for line in unsafe_operations([(app, name, migration)]))
    safe = ops.AddField(model_name="proposal", name="priority", field=models.IntegerField(db_default=0))
    monkeypatch.setattr(migration, "operations", [safe])
    assert unsafe_operations([(app, name, migration)]) == []
