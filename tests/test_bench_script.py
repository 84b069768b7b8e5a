"""scripts/bench.py reads wrk's report correctly, and the benchmark's trivial view exists only
when YISHI_BENCH is on (scripts/bench.sh sets it; production never does)."""

import importlib.util
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from yishi.bench import trivial

ROOT = Path(__file__).resolve().parents[1]

WRK_REPORT = """Running 10s test @ http://127.0.0.1:8077/proposals/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   410.52ms   62.10ms 585.00ms   71.00%
    Req/Sec    19.12      7.33    40.00     66.67%
  Latency Distribution
     50%  410.00ms
     75%  450.11ms
     90%  500.00ms
     99%    1.20s
  372 requests in 10.02s, 9.81MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 5
Requests/sec:     37.12
Transfer/sec:      0.98MB
"""


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_script", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wrk_report_is_read_into_rate_percentiles_and_errors():
    result = _bench_module().parse_wrk(WRK_REPORT)
    assert result["rps"] == 37.12
    assert result["requests"] == 372
    assert result["p50"] == 410.0
    assert result["p99"] == 1200.0
    assert result["non_2xx"] == 5
    assert result["socket_errors"] == "connect 0, read 0, write 0, timeout 3"


def test_wrk_units_convert_to_milliseconds():
    ms = _bench_module().ms
    assert ms("850.00us") == pytest.approx(0.85)
    assert ms("2.50s") == 2500.0
    assert ms("1.00m") == 60000.0


def test_trivial_view_is_not_served_unless_the_benchmark_runs():
    with pytest.raises(NoReverseMatch):
        reverse("bench_trivial")
    response = trivial(RequestFactory().get("/bench/trivial"))
    assert response.status_code == 200 and response.content == b"ok"
