"""The bench's own arithmetic: percentiles of the load generator and the run-to-run comparison."""

from __future__ import annotations

from bench.compare import compare
from bench.loadgen import LoadResult


def test_percentiles_and_rate() -> None:
    result = LoadResult(requests=100, seconds=4.0, latencies=tuple(i / 1000 for i in range(1, 101)), errors=0,
                        first_error=None)  # fmt: skip
    assert result.rps == 25.0
    assert result.percentile(50) == 0.051
    assert result.percentile(99) == 0.099
    assert result.percentile(100) == 0.1


def test_compare_shows_the_change_per_scenario() -> None:
    before = {"at": "a", "scenarios": {"order_list": {"rps": 20.0, "cpu_ms_per_request": 40.0}}}
    after = {
        "at": "b",
        "postgraphile_ratio": 0.3,
        "scenarios": {"order_list": {"rps": 30.0, "cpu_ms_per_request": 30.0}, "new": {"rps": 5.0}},
    }
    lines = compare(before, after)
    assert any(line.split()[:5] == ["order_list", "req/s", "20.0", "30.0", "+50%"] for line in lines)
    assert any(line.split()[:5] == ["order_list", "CPU", "ms", "40.0", "30.0"] for line in lines)
    assert any(line.startswith("new") and "5.0" in line for line in lines)
    assert lines[-1] == "order_list / PostGraphile at b: 0.3"
