#!/usr/bin/env bash
# The benchmark: seeds (or reuses) the scale city in PostgreSQL, starts gunicorn with
# gunicorn.conf.py in production settings on 127.0.0.1, and measures each key page with wrk
# against a trivial view served by the same server in the same run. Prints a table and writes
# var/bench/<time>-<label>.json. See docs/operations.md, "Benchmark".
#
#   bash scripts/bench.sh                     # one subdistrict, seeded once into yishi_bench
#   bash scripts/bench.sh --quick             # a few pages, 3 s each (a smoke run, ~2 minutes)
#   bash scripts/bench.sh --scale 10          # a district (ten subdistricts), in yishi_bench_10x
#   bash scripts/bench.sh --only home,ledger --seconds 5 --label try
#
# Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/yishi_bench[_10x]),
# BENCH_PORT (8077), REDIS_URL (the cache, as in production; empty: each worker's local memory),
# WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_MAX_REQUESTS (read by gunicorn.conf.py). Every other
# argument goes to scripts/bench.py (--seconds, --warmup, --connections, --only, --label, --quick).
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${SCALE:-1}
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --scale=*) SCALE=${1#--scale=}; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
case "$SCALE" in ''|*[!0-9]*|0) echo "--scale takes a whole number of subdistricts (1, 10 …), not '$SCALE'" >&2; exit 2 ;; esac

source scripts/bootstrap.sh
if ! command -v wrk >/dev/null 2>&1; then
  echo "Installing wrk (apt) …"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -qq wrk >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null; }
fi

DB_NAME=yishi_bench$([ "$SCALE" = 1 ] || echo "_${SCALE}x")
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB_NAME}
# Production settings (DEBUG off) with keys that exist only for this benchmark. The checkpoint key
# is the one the city's checkpoint was signed with, so the history pages verify as in production.
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost YISHI_BENCH=1
export SECRET_KEY=${BENCH_SECRET_KEY:-bench-only-secret-$(printf 'k%.0s' {1..60})}
export YISHI_CHECKPOINT_KEY=${BENCH_CHECKPOINT_KEY:-bench-only-checkpoint-key-$(printf 'c%.0s' {1..40})}
# The API's per-address throttle would answer wrk (one address) with 429 after 600 requests.
export API_THROTTLE_RATE=${API_THROTTLE_RATE:-1000000/m}
export LOG_LEVEL=${LOG_LEVEL:-WARNING}
PORT=${BENCH_PORT:-8077}

# The database: created and seeded once, reused after (seed_scale --if-empty).
if command -v createdb >/dev/null 2>&1; then
  read -r DB_HOST DB_PORT DB_USER < <(uv run python -c "
import os; from urllib.parse import urlparse; u = urlparse(os.environ['DATABASE_URL'])
print(u.hostname or '127.0.0.1', u.port or 5432, u.username or 'postgres')")
  createdb -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "${DATABASE_URL##*/}" 2>/dev/null || true
fi
uv run python manage.py migrate --noinput -v0
uv run python manage.py seed_scale --if-empty --scale "$SCALE"
uv run python manage.py collectstatic --noinput -v0

mkdir -p var/bench
LOG=var/bench/gunicorn.log
.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" >"$LOG" 2>&1 &
GUNICORN_PID=$!
trap 'kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/bench/trivial" 2>/dev/null && break
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/bench/trivial" || { echo "gunicorn did not start; see $LOG" >&2; exit 1; }

uv run python scripts/bench.py --base "http://127.0.0.1:$PORT" --label "${SCALE}x" ${ARGS[@]+"${ARGS[@]}"}
