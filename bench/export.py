"""A bulk export of every order (and of every order line) as HQ, through the export service.

    .venv/bin/python -m bench.export --orders 100000
    .venv/bin/python -m bench.export --database-url postgresql+asyncpg://…/bench_export_1m --orders 1000000

Migrates the database and, if it is empty, seeds `--orders` orders with the generator (seed 7)
and vacuums it (bench/prepare.py). Then, for each list of `--lists`, queues a job with
`start_export` as HQ (no filter, default columns, `--format`) and runs it with the runner exactly
as a worker process would (`run_next`: claim, count, keyset pages, write, rename). Prints rows,
seconds, rows/s, this process's CPU seconds (user + system: on a shared machine it moves far
less than the wall time), the file's size, and the process's RSS before the export and its peak after
(`ru_maxrss`; a run that also seeded reports the seeding's peak, so seed in a run of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.prepare import seed_and_vacuum
from models.base import utcnow
from models.enums import Role
from models.exports import ExportFormat, ExportJob, ExportList
from models.principals import Principal
from services.db import create_engine, session_factory
from services.exports.jobs import ExportConfig, start_export
from services.exports.lists import CRITERIA_TYPES
from services.exports.runner import run_next
from services.migrations import upgrade

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_export"
HQ = Principal(Role.HQ_ADMIN, "bench-hq")
HEADER = "{:<12} {:>10} {:>8} {:>9} {:>6} {:>8} {:>7} {:>8}"
LINE = "{:<12} {:>10,.0f} {:>8.1f} {:>9,.0f} {:>6.1f} {:>8.1f} {:>7.0f} {:>8.0f}"


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


async def _export(url: str, kind: ExportList, fmt: ExportFormat, directory: Path) -> dict[str, float]:
    engine = create_engine(url, statement_timeout_ms=0)
    sessions = session_factory(engine)
    config = ExportConfig(directory, "b" * 32, max_open_per_owner=1_000)
    try:
        job = await start_export(
            sessions, config, HQ, kind, fmt, None, CRITERIA_TYPES[kind](), None, utcnow()
        )
        before = _rss_mb()
        cpu = time.process_time()
        started = time.perf_counter()
        ran = await run_next(sessions, config)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        async with sessions() as session:
            done = await session.scalar(select(ExportJob).where(ExportJob.id == job.id))
    finally:
        await engine.dispose()
    if not ran or done is None or not done.file_path:
        raise SystemExit(f"the export did not finish: {done and done.error}")
    size = os.stat(done.file_path).st_size
    os.unlink(done.file_path)
    return {
        "rows": done.rows_done,
        "seconds": seconds,
        "rows_per_s": done.rows_done / seconds,
        "cpu": cpu,
        "mb": size / 1e6,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_mb(),
    }


async def main_async(args: argparse.Namespace) -> None:
    await asyncio.to_thread(upgrade, args.database_url)
    engine = create_engine(args.database_url, statement_timeout_ms=0)
    try:
        await seed_and_vacuum(engine, args.orders)
    finally:
        await engine.dispose()
    fmt = ExportFormat(args.format)
    print(HEADER.format("list", "rows", "seconds", "rows/s", "CPU s", "file MB", "RSS MB", "peak MB"))
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for name in args.lists:
            r = await _export(args.database_url, ExportList(name), fmt, Path(tmp))
            print(
                LINE.format(
                    name,
                    r["rows"],
                    r["seconds"],
                    r["rows_per_s"],
                    r["cpu"],
                    r["mb"],
                    r["rss_before_mb"],
                    r["peak_rss_mb"],
                )
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--orders", type=int, default=100_000, help="orders to seed into an empty database")
    parser.add_argument("--format", choices=[f.value for f in ExportFormat], default="CSV")
    parser.add_argument(
        "--lists", nargs="+", choices=[k.value for k in ExportList], default=["ORDERS", "ORDER_LINES"]
    )
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
