#!/usr/bin/env bash
# The portal with the demo world on SQLite (var/yishi.sqlite3), tasks run eagerly:
# installs, migrates, seeds (idempotent) and serves on http://127.0.0.1:${PORT:-8000}/
# PORT=8001 bash scripts/demo.sh serves elsewhere; SITE_URL (links in mail, the poster's QR code)
# follows PORT unless set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
unset DATABASE_URL CELERY_BROKER_URL
export DEBUG=1
export PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"
uv run python manage.py migrate --noinput
uv run python manage.py compilemessages --ignore .venv >/dev/null 2>&1 || true
uv run python manage.py seed_demo
exec uv run python manage.py runserver "127.0.0.1:${PORT}"
