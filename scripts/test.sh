#!/usr/bin/env bash
# The whole test suite. SQLite by default; with DATABASE_URL=postgres://... on
# PostgreSQL. Browser tests use Debian's Chromium (installed here if missing);
# service tests use the Redis at REDIS_URL (default redis://127.0.0.1:6379/0).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
# Debian's Chromium for the browser tests, and CJK fonts so screenshots show Chinese.
if { [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; } \
   && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null
fi
set +e
uv run python manage.py compilemessages --ignore .venv >/dev/null 2>&1
# Two processes for most tests (this machine has 2 cores; YISHI_TEST_WORKERS=0 runs in one).
# Then the tests that start real Celery workers, beats, gunicorn replicas and Redis servers
# (marked "services"), one at a time and alone on the machine: they share one Redis database and
# wait on real processes. Exit status 5 (no test selected in that half) counts as success.
uv run pytest -n "${YISHI_TEST_WORKERS:-2}" --dist loadgroup -m "not services" "$@"
first=$?
uv run pytest -m services "$@"
second=$?
[ "$first" = 5 ] && first=0
[ "$second" = 5 ] && second=0
code=$(( first > second ? first : second ))
set -e
exit $code
