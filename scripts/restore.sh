#!/usr/bin/env bash
# Restore a backup into an EMPTY database and prove it: the checksum matches, pg_restore
# stops at the first error, then `manage.py verify_history` checks every hash chain and
# cross-check on the restored copy (a restore that lost rows is named there).
#   bash scripts/restore.sh FILE postgres://.../yishi_restored [KEPT]
# KEPT: a file of signed checkpoint texts kept outside (as published on /history/checkpoints/);
# a restore older than a kept checkpoint, or missing rows it covered, is named.
# The target must exist and hold no tables (createdb first); the running site is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:?usage: restore.sh FILE TARGET_DATABASE_URL}
target=${2:?usage: restore.sh FILE TARGET_DATABASE_URL}
case "$target" in
  postgres://*|postgresql://*) ;;
  *) echo "restore.sh: the target is not a PostgreSQL URL" >&2; exit 2 ;;
esac
if [ -f "$file.sha256" ]; then
  (cd "$(dirname "$file")" && sha256sum --check --quiet "$(basename "$file").sha256") \
    || { echo "restore.sh: $file does not match its checksum; nothing was restored" >&2; exit 1; }
fi
tables=$(psql "$target" -Atc "select count(*) from information_schema.tables where table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database already has $tables tables; restore only into an empty one" >&2
  exit 2
fi
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target" "$file"
PYTHON=${PYTHON:-$(command -v uv >/dev/null 2>&1 && echo "uv run python" || echo python)}
kept=${3:-}
DATABASE_URL="$target" $PYTHON manage.py verify_history ${kept:+--kept "$kept"}
