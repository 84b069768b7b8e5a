#!/usr/bin/env bash
# The benchmark: seeds (or reuses) the scale city in PostgreSQL, starts gunicorn with
# gunicorn.conf.py in production settings on 127.0.0.1, and measures each key page with wrk
# against a trivial view served by the same server in the same run. Prints a table and writes
# var/bench/<time>.json. See docs/operations.md, "Benchmark".
#
#   bash scripts/bench.sh                 # one subdistrict (seeded once into yishi_bench)
#   SCALE=10 bash scripts/bench.sh        # a district, in yishi_bench_10x
#   bash scripts/bench.sh --only home,ledger --seconds 5
#
# Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/yishi_bench[_10x]),
# BENCH_PORT (8077), REDIS_URL (the cache; empty: each worker's local memory), WEB_CONCURRENCY,
# GUNICORN_THREADS. Extra arguments go to scripts/bench.py (--seconds, --connections, --only, --label).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

if ! command -v wrk >/dev/null 2>&1; then
  echo "Installing wrk (apt) …"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk; else sudo apt-get install -y -qq wrk; fi
fi

SCALE=${SCALE:-1}
DB_NAME=yishi_bench$([ "$SCALE" = 1 ] || echo "_${SCALE}x")
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB_NAME}
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost YISHI_BENCH=1
export SECRET_KEY=${SECRET_KEY:-bench-only-$(printf 'k%.0s' {1..60})}
export LOG_LEVEL=WARNING
PORT=${BENCH_PORT:-8077}

# The database: created and seeded once, reused after (seed_scale --if-empty).
if command -v createdb >/dev/null 2>&1; then
  DB_HOST=$(uv run python -c "from urllib.parse import urlparse; import os; u=urlparse(os.environ['DATABASE_URL']); print(u.hostname or '127.0.0.1')")
  DB_USER=$(uv run python -c "from urllib.parse import urlparse; import os; u=urlparse(os.environ['DATABASE_URL']); print(u.username or 'postgres')")
  createdb -h "$DB_HOST" -U "$DB_USER" "${DATABASE_URL##*/}" 2>/dev/null || true
fi
uv run python manage.py migrate --noinput -v0
uv run python manage.py seed_scale --if-empty --scale "$SCALE"
uv run python manage.py collectstatic --noinput -v0

LOG=var/bench/gunicorn.log
mkdir -p var/bench
.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" >"$LOG" 2>&1 &
GUNICORN_PID=$!
trap 'kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/bench/trivial" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/bench/trivial" || { echo "gunicorn did not start; see $LOG"; exit 1; }

uv run python scripts/bench.py --base "http://127.0.0.1:$PORT" --label "${SCALE}x" "$@"
