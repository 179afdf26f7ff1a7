"""Start the real server for a benchmark: uvicorn, one worker, production settings, on loopback."""

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
    database_url: str, extra_env: dict[str, str] | None = None, timeout: float = 60.0
) -> Iterator[Server]:
    """uvicorn gql.app:create_app with 1 worker; stopped (SIGTERM, then SIGKILL) on exit."""
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
        "1",
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
        yield Server("127.0.0.1", port, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
