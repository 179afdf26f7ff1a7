"""Start the real server for a benchmark: uvicorn, production settings, on loopback.

One worker by default (the server process serves requests itself). With `workers` > 1, uvicorn's
supervisor forks that many worker processes sharing one listening socket; `Server.workers` lists
their pids so CPU and memory can be summed over them, the supervisor reported apart.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET = "bench-secret-bench-secret-bench-secret-0123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Server:
    host: str
    port: int
    pid: int
    workers: tuple[int, ...] = ()  # worker pids when `pid` is a supervisor; empty: `pid` serves

    @property
    def serving_pids(self) -> tuple[int, ...]:
        """The processes that serve requests: the workers, or the server process itself."""
        return self.workers or (self.pid,)

    @property
    def front_pid(self) -> int | None:
        """The supervisor (or cluster primary) in front of the workers; None with one process."""
        return self.pid if self.workers else None

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far, from /proc (Linux)."""
        return process_cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        """Resident memory of the server process, from /proc (Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process: CPU per request stays comparable when other work shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """utime + stime of every PostgreSQL process on this machine (0 when none is visible).

    The database does about half of an order-list request's work on a 2-core machine, for either
    server, so a comparison shows it beside the server's own CPU. Only meaningful with PostgreSQL
    on this machine and nothing else querying it during a run.
    """
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name.startswith("postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> tuple[int, ...]:
    """Direct children of a process, from /proc (Linux), in pid order."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            rest = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(rest[1]) == pid:
            children.append(int(stat.parent.name))
    return tuple(sorted(children))


def _is_helper(pid: int) -> bool:
    """multiprocessing's resource tracker, which uvicorn's supervisor also starts: not a worker."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def wait_for_workers(pid: int, workers: int, deadline: float) -> tuple[int, ...]:
    """The pids of `workers` worker children of `pid` once they all exist (RuntimeError at `deadline`)."""
    while True:
        children = tuple(c for c in child_pids(pid) if not _is_helper(c))
        if len(children) >= workers:
            return children
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(children)} of {workers} worker processes started")
        time.sleep(0.2)


def process_rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def server_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "ENVIRONMENT": "prod",
        "DATABASE_URL": database_url,
        "JWT_SECRET": BENCH_SECRET,
        "LOG_LEVEL": "WARNING",
        "SWEEP_INTERVAL_SECONDS": "0",  # the bench measures requests, not background sweeps
        # One client at full speed would be throttled by its own cost budget (docs/security.md):
        # the bench measures the server's capacity, not one principal's quota.
        "RATE_LIMIT_ENABLED": "false",
    }
    env.pop("REDIS_URL", None)
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running_server(
    database_url: str,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60.0,
    workers: int = 1,
) -> Iterator[Server]:
    """uvicorn gql.app:create_app with `workers` processes; stopped (SIGTERM, then SIGKILL) on exit.

    With several workers this yields once /readyz answered and all of them exist; a worker still
    starting leaves its connections to the others, so callers warm up before they measure.
    """
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "gql.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, env=server_env(database_url, extra_env))
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start (exit code {process.poll()})")
            time.sleep(0.2)
        if workers == 1:
            yield Server("127.0.0.1", port, process.pid)
        else:
            yield Server("127.0.0.1", port, process.pid, wait_for_workers(process.pid, workers, deadline))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
