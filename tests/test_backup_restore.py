"""The backup drill (docs/operations.md, "Backups"): scripts/backup.sh takes a pg_dump,
scripts/restore.sh restores it into a fresh database and verifies the history there. A backup
that restores but lost its last rows must be named, not pass as whole.
"""

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from funding.models import LedgerEntry
from proposals.models import ProposalEvent
from tests.funding_support import drive_to_released, old_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parent.parent


def url_for(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def script(name: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    base.pop("TEST_DATABASE_NAME", None)
    base.update(env or {})
    return subprocess.run(["bash", f"scripts/{name}", *args], cwd=BASE_DIR, env=base, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def scratch_databases(postgres):
    """Fresh, empty databases for restores, dropped afterwards."""
    made: list[str] = []
    admin = url_for("postgres")

    def make() -> str:
        name = f"yishi_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return url_for(name)

    yield make
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backup(postgres, tmp_path):
    """A world with a released proposal (events, ledger entries), backed up."""
    world = old_world()
    proposal, fund = drive_to_released(world)
    file = tmp_path / "yishi.dump"
    result = script("backup.sh", str(file), env={"DATABASE_URL": url_for(connection.settings_dict["NAME"])})
    assert result.returncode == 0, result.stderr
    return file, proposal, fund, world


def test_a_backup_restores_into_a_fresh_database_and_its_history_verifies(backup, scratch_databases):
    file, proposal, fund, _world = backup
    assert file.exists() and (file.parent / "yishi.dump.sha256").exists()
    target = scratch_databases()
    result = script("restore.sh", str(file), target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All history chains verify" in result.stdout
    with psycopg.connect(target) as conn:
        events = conn.execute("select count(*) from proposals_proposalevent").fetchone()[0]
        entries = conn.execute("select count(*) from funding_ledgerentry").fetchone()[0]
    assert events == ProposalEvent.objects.count() > 5
    assert entries == LedgerEntry.objects.count() > 1


def test_a_damaged_backup_file_is_refused_before_anything_is_restored(backup, scratch_databases):
    file, _proposal, _fund, _world = backup
    with open(file, "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00" * 16)
    target = scratch_databases()
    result = script("restore.sh", str(file), target)
    assert result.returncode != 0
    assert "checksum" in result.stderr
    with psycopg.connect(target) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0


def test_restore_refuses_a_database_that_is_not_empty(backup, scratch_databases):
    file, _proposal, _fund, _world = backup
    target = scratch_databases()
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("create table keep_me (id int)")
    result = script("restore.sh", str(file), target)
    assert result.returncode == 2
    assert "empty" in result.stderr


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    result = script("backup.sh", str(tmp_path / "x.dump"), env={"DATABASE_URL": "sqlite:///tmp/x.sqlite3"})
    assert result.returncode == 2
    assert not (tmp_path / "x.dump").exists()


def published_checkpoint(path: Path) -> Path:
    """Sign a checkpoint of the history as it is now and keep its text, as a supervisor would."""
    from funding.checkpoints import checkpoint_write
    from funding.models import HistoryCheckpoint

    checkpoint_write()
    path.write_text(HistoryCheckpoint.objects.order_by("-number").first().signed_text, encoding="utf-8")
    return path


def test_a_restore_older_than_a_kept_checkpoint_is_named(backup, scratch_databases, tmp_path):
    """The backup was taken, more happened and was checkpointed; the restore lacks it."""
    from tests.funding_support import record_bids

    file, proposal, _fund, world = backup
    record_bids(world, proposal)
    kept = published_checkpoint(tmp_path / "kept.txt")
    target = scratch_databases()
    result = script("restore.sh", str(file), target, str(kept))
    assert result.returncode != 0
    assert "missing from the database" in result.stdout + result.stderr


def test_a_restore_that_lost_the_last_ledger_row_is_named(postgres, scratch_databases, tmp_path):
    world = old_world()
    drive_to_released(world)
    kept = published_checkpoint(tmp_path / "kept.txt")
    file = tmp_path / "after.dump"
    assert script("backup.sh", str(file), env={"DATABASE_URL": url_for(connection.settings_dict["NAME"])}).returncode == 0
    target = scratch_databases()
    # The restore goes through, then loses the ledger's last row (triggers off, as a careless
    # partial restore or an owner's hand would).
    assert script("restore.sh", str(file), target, str(kept)).returncode == 0
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("ALTER TABLE funding_ledgerentry DISABLE TRIGGER ALL")
        conn.execute("DELETE FROM funding_ledgerentry WHERE id = (SELECT max(id) FROM funding_ledgerentry)")
    verify = subprocess.run(
        ["uv", "run", "python", "manage.py", "verify_history", "--kept", str(kept)], cwd=BASE_DIR,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
             "DATABASE_URL": target},
        capture_output=True, text=True, timeout=300,
    )
    assert verify.returncode != 0
    assert "funding_ledgerentry" in verify.stdout + verify.stderr
