"""Gunicorn settings for Yishi's web process (docker-compose ``web``), from the environment.

Logs go to stdout as one JSON object a line, like Django's and Celery's, so
one collector reads them all.
"""

import os

wsgi_app = "yishi.wsgi:application"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Two processes of four threads each (gthread): measured with wrk at 16 connections on the 2-core
# machine of docs/operations.md ("Fast pages"), against 4 sync workers in alternating runs: the
# trivial view 417-817 req/s against 102-755, the cached home page 55-137 against 19-32, the tally
# poll 15-28 against 5-14 (load average 13-14 from other work). Sync workers close every
# connection after one request and queue the rest; threads keep connections alive (keepalive
# below) and overlap the time a request waits on PostgreSQL or Redis. Django, psycopg and the
# cache are thread-safe; each thread holds its own database connection (CONN_MAX_AGE).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound, but never all at once:
# each worker restarts after max_requests plus a random 0–50 % (max_requests_jitter), so their
# restarts spread out. With 1 000 ± 100 all four workers recycled within a few seconds of each
# other under load, 43 boots in one benchmark run; the trivial view reached 622 req/s against
# 2 344 with recycling off (scripts/bench.sh, docs/operations.md "Benchmark").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 2
# Load Django once in the master and fork the workers from it: a recycled worker is ready in
# milliseconds instead of re-importing the project (about a second of CPU each on this machine).
# Nothing opens a database connection at import, so no connection is shared across the fork.
preload_app = True
# Heartbeat files in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The reverse proxy in front sets X-Forwarded-Proto; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "yishi.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
    },
    # gunicorn merges this into its defaults, whose root logger names a "console" handler:
    # give the root one of ours, or logging cannot be configured and gunicorn exits.
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}
