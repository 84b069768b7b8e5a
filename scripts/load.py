"""A bounded load test of a running Yishi against 127.0.0.1 only.

    uv run python scripts/load.py --base http://127.0.0.1:8000 --requests 2000 --concurrency 8 \
        /  /proposals/  /proposals/1/  --login council01 --auth-path /ballots/3/tally/

Each path gets ``--requests`` GETs from ``--concurrency`` threads, each thread on
one keep-alive connection; it stops early after ``--seconds``. With ``--login``
the ``--auth-path`` pages are fetched with that demo user's session (one login,
shared by the threads). It prints requests per second, median and 95th-percentile
latency, and every non-200 answer. It refuses any host but 127.0.0.1/localhost.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

DEMO_PASSWORD = "yishi-demo-2026"


def _connection(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    if parts.hostname not in {"127.0.0.1", "localhost"}:
        sys.exit("load.py only targets 127.0.0.1")
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)


def log_in(base: str, username: str) -> str:
    """The Cookie header of a fresh session for ``username`` (the demo password)."""
    conn = _connection(base)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    body = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": DEMO_PASSWORD})
    conn.request("POST", "/accounts/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}",
        "Referer": base + "/accounts/login/",
    })
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    if response.status != 302 or not session:
        sys.exit(f"could not log in as {username}: {response.status}")
    return f"csrftoken={csrf_cookie}; sessionid={session.group(1)}"


def hammer(base: str, path: str, total: int, threads: int, seconds: float, cookie: str | None) -> dict:
    latencies: list[float] = []
    failures: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + seconds
    headers = {"Cookie": cookie} if cookie else {}

    def worker():
        conn = _connection(base)
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = _connection(base)
                status = 0
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                if status != 200:
                    failures[status] = failures.get(status, 0) + 1
        conn.close()

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        "path": path, "done": len(latencies), "rps": len(latencies) / wall if wall else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "failures": failures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["/"])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop each path after this long")
    parser.add_argument("--login", help="a demo username for --auth-path")
    parser.add_argument("--auth-path", action="append", default=[])
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 64:
        sys.exit("--requests must be 1..100000 and --concurrency 1..64")

    runs = [(p, None) for p in args.paths]
    if args.auth_path:
        if not args.login:
            sys.exit("--auth-path needs --login")
        cookie = log_in(args.base, args.login)
        runs += [(p, cookie) for p in args.auth_path]
    failed = False
    print(f"{'path':40} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}  non-200")
    for path, cookie in runs:
        r = hammer(args.base, path, args.requests, args.concurrency, args.seconds, cookie)
        failed |= bool(r["failures"])
        print(f"{r['path']:40} {r['done']:8d} {r['rps']:8.0f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f}  "
              f"{r['failures'] or '-'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
