"""The bench's own arithmetic: percentiles of the load generator, the run-to-run comparison, and
which processes a multi-worker server's CPU is summed over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bench.compare import compare
from bench.loadgen import LoadResult
from bench.server import Server, child_pids, wait_for_workers


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


def test_a_single_process_serves_itself_and_workers_are_summed_apart_from_their_front() -> None:
    alone = Server("127.0.0.1", 1, 100)
    assert (alone.serving_pids, alone.front_pid) == ((100,), None)
    pool = Server("127.0.0.1", 1, 100, (101, 102))
    assert (pool.serving_pids, pool.front_pid) == ((101, 102), 100)


def test_the_workers_of_a_process_are_its_children() -> None:
    sleeper = (
        "import subprocess, sys, time\n"
        "for _ in range(2): subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "time.sleep(30)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", sleeper])
    try:
        workers = wait_for_workers(parent.pid, 2, time.monotonic() + 20)
        assert len(workers) == 2
        assert set(workers) == set(child_pids(parent.pid))
        assert parent.pid not in workers
    finally:
        for pid in child_pids(parent.pid):
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
