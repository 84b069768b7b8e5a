"""Every list endpoint of the open-data API is a page of the benchmark (scripts/bench.py), so a slow
list shows in the table next to the trivial view (issue 13: a list endpoint ≥ 30 % of the trivial view)."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_pages", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Lists a program reads once (a city's communities, groups, councils, funds: tens of rows per
# community) or that follow a benchmarked one row for row (notices follow proposals).
NOT_BENCHED = {"/api/v1/communities", "/api/v1/groups", "/api/v1/councils", "/api/v1/funds", "/api/v1/notices"}


@pytest.mark.django_db
def test_every_api_list_endpoint_is_benchmarked(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    lists = {p for p in paths if "{" not in p}
    row = SimpleNamespace(pk=1, n=10)
    targets = {"fund": row, "ballot": row, "longest": (1, 10), "users": {}, "noticed": row, "project": None,
               "organisation": None, "call": None, "election": None, "foundation": None, "community_id": 1}
    benched = {path.split("?")[0] for _name, path, *_rest in _bench_module().page_list(targets) if path}
    missing = sorted(lists - benched - NOT_BENCHED)
    assert missing == []
    assert {"/api/v1/needs", "/api/v1/projects", "/api/v1/organisations", "/api/v1/grant-calls",
            "/api/v1/grant-awards", "/api/v1/elections"} <= benched
