"""Measure each key page against the trivial view, on a running server (started by scripts/bench.sh).

Run inside the project's environment (``uv run python scripts/bench.py --base …``) with the same
settings as the server: it finds the pages to measure in the scale city (``manage.py seed_scale``),
signs in one account per role (a session per account, as the login form would make), counts each
page's queries once in-process, then runs ``wrk`` against the server for each page and prints a
table; the same rows go to ``var/bench/<time>.json``.

Only 127.0.0.1 is ever loaded; every wrk run is bounded in time. ``--quick`` measures a few pages
for a few seconds (a smoke run); ``--only`` picks pages by a part of their name. A page that answers
anything but 2xx/3xx in-process (a 500) is marked in the table and in the JSON (``status``).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yishi.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from councils.models import Community, Subdistrict, User  # noqa: E402
from elections.models import Election  # noqa: E402
from funding.enums import FundKind  # noqa: E402
from funding.models import Fund  # noqa: E402
from grants.models import GrantCall  # noqa: E402
from needs.enums import ProjectStatus  # noqa: E402
from needs.models import ServiceProject  # noqa: E402
from organisations.models import Organisation  # noqa: E402
from portal.scale import SLUG_PREFIX  # noqa: E402
from proposals.enums import BallotKind  # noqa: E402
from proposals.enums import ProposalStatus as S  # noqa: E402
from proposals.models import Ballot, Proposal, Vote  # noqa: E402

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(out: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    result = {"rps": float(rps.group(1)) if rps else 0.0, "requests": int(total.group(1)) if total else 0}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+(?:us|ms|s|m))\s*$", out, re.M)
        result[f"p{pct}"] = ms(m.group(1)) if m else None
    if not result["requests"]:  # nothing finished in time: no latency to report
        result["p50"] = result["p99"] = None
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result["non_2xx"] = int(bad.group(1)) if bad else 0
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    return result


LUA_GET = """
wrk.headers["Cookie"] = "{cookie}"
{htmx}
"""

LUA_VOTE = """
items = {{ {items} }}
counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  offset = tid
  step = {threads}
  i = 0
end
function request()
  local k = offset + i * step + 1
  i = i + 1
  if k > #items then k = ((k - 1) % #items) + 1 end
  local it = items[k]
  local headers = {{}}
  headers["Cookie"] = it[1]
  headers["X-CSRFToken"] = it[2]
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", it[3], headers, "choice=approve&confirm=on")
end
"""


def session_for(user, csrf: str | None = None) -> str:
    """A signed-in session for ``user`` as a Cookie header: the session row ``login()`` would write
    (user id, backend, password hash), without the login's signals — hundreds are made per run."""
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
    if csrf:
        cookie += f"; {settings.CSRF_COOKIE_NAME}={csrf}"
    return cookie


def pick_targets() -> dict:
    """The pages of the first subdistrict of the scale city, and who looks at them."""
    prefix = f"{SLUG_PREFIX}-s01"
    users = {
        "resident": f"s01-c01-g01-r050", "group councillor": "s01-c01-g01-r001",
        "community councillor": "s01-c01-g01-r006", "community staff": "s01-c01-staff",
        "street staff": "s01-street", "supervisor (community)": "s01-c01-sup",
        "supervisor (subdistrict)": "s01-sup",
    }
    users = {role: User.objects.get(username=name) for role, name in users.items()}
    in_sub = Proposal.objects.filter(group__community__subdistrict__slug=prefix)
    longest = in_sub.annotate(n=Count("events")).order_by("-n").values_list("pk", "n").first()
    noticed = in_sub.filter(status=S.NOTICE, group__community__slug=f"{prefix}-c01").order_by("pk").first()
    councillor = users["community councillor"]
    ballot = (
        Ballot.objects.filter(kind=BallotKind.COMMUNITY, closed_at__isnull=True, electors__user=councillor,
                              closes_at__gt=timezone.now())
        .order_by("pk").first()
    )
    if ballot is None:  # the city's open ballots have closed (it was built more than ~5 days ago)
        print("warning: no open community ballot left; measuring a closed one. Rebuild the city "
              "(drop the database) to measure voting.", file=sys.stderr)
        ballot = Ballot.objects.filter(kind=BallotKind.COMMUNITY, electors__user=councillor).order_by("-pk").first()
    funds = Fund.objects.filter(community__subdistrict__slug=prefix).annotate(n=Count("entries")).order_by("-n", "pk")
    fund = funds.first()
    community = f"{prefix}-c01"
    project = (
        ServiceProject.objects.filter(community__slug=community, status=ProjectStatus.IN_SERVICE)
        .annotate(n=Count("records")).order_by("-n", "pk").first()
    )
    return {
        "subdistricts": Subdistrict.objects.count(), "users": users, "longest": longest, "noticed": noticed, "ballot": ballot, "fund": fund,
        "foundation": funds.filter(kind=FundKind.FOUNDATION).first(),
        "public_fund": funds.filter(kind=FundKind.PUBLIC_SERVICE).first(),
        "project": project,
        "organisation": Organisation.objects.filter(communities__slug=community).order_by("pk").first(),
        "call": GrantCall.objects.filter(community__slug=community).order_by("pk").first(),
        "community_id": Community.objects.filter(slug=community).values_list("pk", flat=True).first() or 1,
        "election": Election.objects.filter(community__slug=community).order_by("pk").first()
        or Election.objects.order_by("pk").first(),
    }


def vote_items(limit: int) -> list[tuple[str, str, str]]:
    """(cookie, csrf token, path) for electors who have not voted on an open community ballot: one each."""
    now = timezone.now()
    open_ballots = list(
        Ballot.objects.filter(kind=BallotKind.COMMUNITY, closed_at__isnull=True, closes_at__gt=now + timezone.timedelta(minutes=5))
        .prefetch_related("electors").order_by("pk")
    )
    voted = set(Vote.objects.filter(ballot__in=open_ballots).values_list("ballot_id", "voter_id"))
    sessions: dict[int, str] = {}
    items = []
    users = {u.pk: u for u in User.objects.filter(pk__in={e.user_id for b in open_ballots for e in b.electors.all()})}
    # Round-robin over ballots so consecutive requests hit different proposals (different row locks).
    per_ballot = [[e.user_id for e in b.electors.all() if (b.pk, e.user_id) not in voted] for b in open_ballots]
    depth = 0
    while len(items) < limit and any(len(x) > depth for x in per_ballot):
        for b, electors in zip(open_ballots, per_ballot):
            if depth < len(electors) and len(items) < limit:
                uid = electors[depth]
                if uid not in sessions:
                    csrf = os.urandom(16).hex()  # 32 characters: Django accepts the unmasked secret
                    sessions[uid] = (session_for(users[uid], csrf), csrf)
                cookie, csrf = sessions[uid]
                items.append((cookie, csrf, f"/ballots/{b.pk}/vote/"))
        depth += 1
    return items


def count_queries(path: str, cookie: str | None, htmx: bool = False) -> tuple[int, int, int]:
    client = Client(HTTP_HOST="127.0.0.1")
    if cookie:
        for part in cookie.split("; "):
            name, value = part.split("=", 1)
            client.cookies[name] = value
    headers = {"HX-Request": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, headers=headers)
        size = len(response.content) if not response.streaming else sum(len(c) for c in response.streaming_content)
    return len(ctx.captured_queries), response.status_code, size


def run_wrk(base: str, path: str, lua: str, *, seconds: int, connections: int, threads: int,
            timeout: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
        script = f.name
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}s",
               "--latency", "-s", script, base + path]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout + 30).stdout
    finally:
        os.unlink(script)
    return parse_wrk(out)


def wait_idle(base: str, limit: float = 180.0) -> float:
    """Wait until the trivial view answers within half a second: a slow page's queued requests must not
    be charged to the next page (sync workers finish what wrk left behind). Returns seconds waited."""
    import urllib.request

    started = time.monotonic()
    while time.monotonic() - started < limit:
        t0 = time.monotonic()
        try:
            urllib.request.urlopen(base + "/bench/trivial", timeout=5).read()
            if time.monotonic() - t0 < 0.5:
                break
        except OSError:
            pass
        time.sleep(0.5)
    return time.monotonic() - started


# The pages of --quick: the ceiling, one anonymous, one signed-in, a write, a money page, a new app, the API.
QUICK = ("trivial", "home", "proposal (", "community ballot", "vote POST", "fund ledger, first", "needs list",
         "api: proposals")


def page_list(t: dict) -> list[tuple]:
    """(name, path, role or None, htmx, connections override, heavy: no in-process query count)."""
    fund, ballot = t["fund"], t["ballot"]
    longest_pk, longest_events = t["longest"]
    pages = [
        ("trivial view", "/bench/trivial", None, False, None, False),
        ("home (anonymous)", "/", None, False, None, False),
        ("public list", "/proposals/", None, False, None, False),
        (f"proposal ({longest_events} events)", f"/proposals/{longest_pk}/", None, False, None, False),
        ("notice poster", f"/proposals/{t['noticed'].pk}/poster/", None, False, None, False),
    ]
    for role in t["users"]:
        pages.append((f"dashboard: {role}", "/me/", role, False, None, False))
    pages += [
        ("community ballot (councillor)", f"/ballots/{ballot.pk}/", "community councillor", False, None, False),
        ("tally poll (htmx)", f"/ballots/{ballot.pk}/tally/", "community councillor", True, None, False),
        ("vote POST (distinct electors)", None, None, False, None, True),
        ("group review queue", "/group/review/", "group councillor", False, None, False),
        ("street review queue", "/street/reviews/", "street staff", False, None, False),
        (f"fund ledger, first page ({fund.n} entries)", f"/street/funds/{fund.pk}/", "street staff", False, None,
         False),
        ("fund ledger, last page", f"/street/funds/{fund.pk}/?page=last", "street staff", False, None, False),
        ("supervision, community", "/supervision/", "supervisor (community)", False, None, False),
        ("supervision, subdistrict", "/supervision/", "supervisor (subdistrict)", False, None, False),
        ("history check", "/supervision/history/", "supervisor (subdistrict)", False, None, False),
        ("inbox", "/inbox/", "community councillor", False, None, False),
        ("ledger.csv", f"/street/funds/{fund.pk}/ledger.csv", "street staff", False, 2, True),
        ("ledger.xlsx", f"/street/funds/{fund.pk}/ledger.xlsx", "street staff", False, 2, True),
        ("accounts.csv", "/street/accounts.csv", "street staff", False, 2, True),
        ("accounts.xlsx", "/street/accounts.xlsx", "street staff", False, 2, True),
        ("needs list", "/needs/", "resident", False, None, False),
        ("needs, staff ledger", "/needs/staff/", "community staff", False, None, False),
        ("service projects", "/service-projects/", "resident", False, None, False),
    ]
    if t["project"] is not None:
        pages.append(("service project (in service)", f"/service-projects/{t['project'].pk}/", "resident", False,
                      None, False))
    pages.append(("organisations", "/organisations/", None, False, None, False))
    if t["organisation"] is not None:
        pages.append(("organisation", f"/organisations/{t['organisation'].pk}/", None, False, None, False))
    pages.append(("micro-grants", "/micro-grants/", "community staff", False, None, False))
    if t["call"] is not None:
        pages.append(("micro-grant call", f"/micro-grants/{t['call'].pk}/", "community staff", False, None, False))
    pages.append(("elections", "/elections/", "resident", False, None, False))
    if t["election"] is not None:
        pages.append(("election", f"/elections/{t['election'].pk}/", "resident", False, None, False))
    pages.append(("foundations", "/foundations/", None, False, None, False))
    if t["foundation"] is not None:
        pages.append((f"foundation page ({t['foundation'].n} entries)", f"/foundations/{t['foundation'].pk}/", None,
                      False, None, False))
    pages += [
        ("api: proposals", "/api/v1/proposals", None, False, None, False),
        (f"api: proposal ({longest_events} events)", f"/api/v1/proposals/{longest_pk}", None, False, None, False),
        ("api: ballots", "/api/v1/ballots", None, False, None, False),
        ("api: fund ledger", f"/api/v1/funds/{fund.pk}/ledger", None, False, None, False),
        ("api: donations", "/api/v1/donations", None, False, None, False),
        # The 三社联动 resources (R22): each list a first page of 50, one subdistrict's community.
        ("api: needs", f"/api/v1/needs?community={t['community_id']}", None, False, None, False),
        ("api: service projects", "/api/v1/projects", None, False, None, False),
        ("api: organisations", "/api/v1/organisations", None, False, None, False),
        ("api: grant calls", "/api/v1/grant-calls", None, False, None, False),
        ("api: grant awards", "/api/v1/grant-awards", None, False, None, False),
        ("api: elections", "/api/v1/elections", None, False, None, False),
        ("api: tenders", "/api/v1/tenders", None, False, None, False),
        ("trivial view (again)", "/bench/trivial", None, False, None, False),
    ]
    return pages


def _page_key(name: str) -> str:
    """A page's name without the figures that differ between cities ("proposal (318 events)" → "proposal")."""
    return re.sub(r"\s*\([^)]*\d[^)]*\)", "", name).strip()


def compare(first: Path, second: Path) -> int:
    """Print, per page, the latency of the second run over the first (e.g. 10× over 1×)."""
    a, b = (json.loads(Path(p).read_text()) for p in (first, second))
    rows_b = {_page_key(r["page"]): r for r in b["rows"]}

    def ratio(x, y):
        return f"{y / x:.2f}×" if x and y else "—"

    print(f"First: {first} (load {a['meta'].get('load_before')}); second: {second} (load {b['meta'].get('load_before')})")
    print()
    print("| page | p50 first | p50 second | p50 ratio | p99 first | p99 second | p99 ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in a["rows"]:
        other = rows_b.get(_page_key(r["page"]))
        if other is None:
            continue
        print(f"| {_page_key(r['page'])} | {r['p50'] or '—'} | {other['p50'] or '—'} | {ratio(r['p50'], other['p50'])} | "
              f"{r['p99'] or '—'} | {other['p99'] or '—'} | {ratio(r['p99'], other['p99'])} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", nargs=2, metavar="JSON", type=Path,
                        help="Compare two runs' latencies page by page (e.g. 1× and 10×); needs no server.")
    parser.add_argument("--base", default="http://127.0.0.1:8077")
    parser.add_argument("--seconds", type=int, default=None, help="Measured seconds per page (10; --quick 5).")
    parser.add_argument("--warmup", type=int, default=None, help="Warm-up seconds per page (2; --quick 1).")
    parser.add_argument("--connections", type=int, default=None,
                        help="wrk connections (16; --quick 8). A request waits behind the others: at 16 connections "
                             "and 4 workers a page of 1 s answers after ~4 s, so keep --seconds well above that.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="Comma-separated page names (substring match).")
    parser.add_argument("--quick", action="store_true", help="A few pages for a few seconds each (a smoke run).")
    parser.add_argument("--label", default="", help="A word for the JSON file name (before, after, 10x).")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    seconds = args.seconds or (5 if args.quick else 10)
    args.connections = args.connections or (8 if args.quick else 16)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    host = urlparse(args.base).hostname
    if host not in ("127.0.0.1", "localhost"):
        parser.error("the benchmark only loads 127.0.0.1")

    t = pick_targets()
    users = t["users"]
    cookies = {role: session_for(user) for role, user in users.items()}
    pages = page_list(t)
    if args.quick:
        pages = [p for p in pages if any(p[0].startswith(q) for q in QUICK)]
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        pages = [p for p in pages if p[0].startswith("trivial") or any(w in p[0] for w in wanted)]

    load_before = os.getloadavg()
    started = time.monotonic()
    rows = []
    for name, path, role, htmx, conns, heavy in pages:
        wait_idle(args.base)
        connections = conns or args.connections
        threads = min(args.threads, connections)
        queries = status = size = None
        if path is None:  # the vote POST: each request a different elector's first vote
            # Enough distinct first votes for the fastest plausible run (300 req/s), and no more; the
            # warm-up (the first workers' first votes import what voting needs) spends its own share.
            items = vote_items(limit=300 * (seconds + warmup))
            warm, items = items[:300 * warmup], items[300 * warmup:]

            def vote_lua(chunk):
                lua_items = ",\n".join("{%s}" % ", ".join(json.dumps(x) for x in it) for it in chunk)
                return LUA_VOTE.format(items=lua_items, threads=threads)

            if warm:
                run_wrk(args.base, "/", vote_lua(warm), seconds=warmup, connections=connections, threads=threads,
                        timeout=10)
                wait_idle(args.base)
            if items:
                result = run_wrk(args.base, "/", vote_lua(items), seconds=seconds, connections=connections,
                                 threads=threads, timeout=10)
            else:
                result = {"rps": 0.0, "requests": 0, "p50": None, "p99": None, "non_2xx": 0,
                          "socket_errors": "no unvoted (elector, ballot) pairs left: rebuild the city"}
            result["pairs"] = len(items)
            path = "/ballots/<id>/vote/"
        else:
            cookie = cookies.get(role) if role else None
            # Exports are not fetched in-process (seconds each); wrk's non-2xx count shows their errors.
            if not heavy:
                queries, status, size = count_queries(path, cookie, htmx)
            lua = LUA_GET.format(cookie=cookie or "", htmx='wrk.headers["HX-Request"] = "true"' if htmx else "")
            timeout = 60 if heavy else 10
            if warmup and not heavy:
                run_wrk(args.base, path, lua, seconds=warmup, connections=connections, threads=threads,
                        timeout=timeout)
                wait_idle(args.base)  # the warm-up's unfinished requests must not queue before the measured ones
            result = run_wrk(args.base, path, lua, seconds=seconds, connections=connections, threads=threads,
                             timeout=timeout)
        row_waited = wait_idle(args.base)
        row = {"page": name, "path": path, "drained_s": round(row_waited, 1), "role": role,
               "connections": connections, "queries": queries, "status": status, "bytes": size, **result}
        rows.append(row)
        flag = f" — status {status}" if status and status >= 400 else ""
        print(f"  measured {name}: {result['rps']:.1f} req/s{flag}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()

    trivial = [r["rps"] for r in rows if r["page"].startswith("trivial")]
    ceiling = sum(trivial) / len(trivial) if trivial else 0
    for row in rows:
        row["pct_trivial"] = round(100 * row["rps"] / ceiling, 1) if ceiling else None

    def fmt(v, unit=""):
        if v is None:
            return "—"
        return f"{v:,.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}"

    print()
    print(f"Load average (1, 5, 15 min): before {', '.join(f'{x:.1f}' for x in load_before)}; "
          f"after {', '.join(f'{x:.1f}' for x in load_after)} on {os.cpu_count()} cores. "
          f"Ceiling (trivial view, mean): {ceiling:.0f} req/s.")
    print()
    print("| page | req/s | % of trivial | p50 | p99 | queries | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        errors = [f"{r['non_2xx']} non-2xx"] if r["non_2xx"] else []
        if r["socket_errors"]:
            errors.append(r["socket_errors"])
        if r["status"] and r["status"] >= 400:
            errors.append(f"status {r['status']}")
        print(f"| {r['page']} | {fmt(r['rps'])} | {fmt(r['pct_trivial'], ' %')} | {fmt(r['p50'], ' ms')} | "
              f"{fmt(r['p99'], ' ms')} | {r['queries'] if r['queries'] is not None else '—'} | {'; '.join(errors)} |")
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out_dir / f"{stamp}{'-' + args.label if args.label else ''}{'-quick' if args.quick else ''}.json"
    with connection.cursor() as cursor:
        server = cursor.connection.info.server_version if connection.vendor == "postgresql" else None
    meta = {
        "when": stamp, "base": args.base, "seconds": seconds, "warmup": warmup, "connections": args.connections,
        "threads": args.threads, "quick": args.quick, "ceiling_rps": ceiling, "database": connection.vendor,
        "server": server, "workers": os.environ.get("WEB_CONCURRENCY"),
        "gunicorn_threads": os.environ.get("GUNICORN_THREADS"), "cpus": os.cpu_count(),
        "load_before": load_before, "load_after": load_after, "minutes": round((time.monotonic() - started) / 60, 1),
        "proposals": Proposal.objects.count(), "subdistricts": t["subdistricts"],
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows}, ensure_ascii=False, indent=1))
    print(f"\nWritten {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
