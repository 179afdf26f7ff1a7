"""Running export jobs in any process: claim one, stream its rows to a file, mark it done.

Claiming is one short write transaction: the oldest QUEUED job, or a RUNNING one whose heartbeat
is stale (its process died), locked with SKIP LOCKED on PostgreSQL (SQLite: the IMMEDIATE
transaction serialises claimers). A claim bumps `attempt`; every later write of the worker names
that attempt, so a worker whose job was taken over notices and stops. Each attempt writes a
temporary file from scratch and renames it into place only when the last row is written, so a
file that exists is complete. Past `max_attempts` a job is FAILED with the reason.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import and_, or_, select, update

from models.base import utcnow
from models.exports import ExportFormat, ExportJob, ExportState, header
from services import background
from services.db import SessionFactory, unit_of_work
from services.exports.jobs import ExportConfig, job_criteria, owner
from services.exports.lists import condition, listing
from services.exports.rows import ExportQuery, count_rows, stream_rows

log = logging.getLogger("mallgraph.exports")


class _TakenOver(Exception):
    """Another process claimed this job (our heartbeat was stale); stop without touching it."""


def final_path(config: ExportConfig, job: ExportJob) -> Path:
    ext = "csv" if job.format is ExportFormat.CSV else "ndjson"
    return config.directory / f"{job.id}.{ext}"


def _part_path(config: ExportConfig, job: ExportJob) -> Path:
    return config.directory / f"{job.id}.{job.attempt}.part"


async def claim(sessions: SessionFactory, config: ExportConfig, now: datetime) -> ExportJob | None:
    """Take the next runnable job (RUNNING from now, attempt + 1), or None when there is none."""
    stale = or_(ExportJob.heartbeat_at.is_(None), ExportJob.heartbeat_at <= now - config.lease)
    while True:
        async with unit_of_work(sessions) as session:
            job = await session.scalar(
                select(ExportJob)
                .where(
                    or_(
                        ExportJob.state == ExportState.QUEUED,
                        and_(ExportJob.state == ExportState.RUNNING, stale),
                    )
                )
                .order_by(ExportJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if job is None:
                return None
            if job.attempt >= config.max_attempts:
                job.state = ExportState.FAILED
                job.finished_at = now
                job.error = job.error or f"the export stopped {job.attempt} times without finishing"
                continue
            job.state = ExportState.RUNNING
            job.attempt += 1
            job.started_at = job.heartbeat_at = now
            job.rows_done = 0
            job.error = None
        return job


async def _beat(sessions: SessionFactory, job: ExportJob, **values: Any) -> None:
    """Write progress (and the heartbeat) of our attempt; _TakenOver when it is no longer ours."""
    async with unit_of_work(sessions) as session:
        result = await session.execute(
            update(ExportJob)
            .where(
                ExportJob.id == job.id,
                ExportJob.attempt == job.attempt,
                ExportJob.state == ExportState.RUNNING,
            )
            .values(heartbeat_at=utcnow(), **values)
        )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _TakenOver


@dataclass(slots=True)
class _Writer:
    """CSV (UTF-8 with a BOM, for spreadsheets) or NDJSON (one JSON object a line) into `out`."""

    fmt: ExportFormat
    names: list[str]
    out: IO[Any]
    _csv: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.fmt is ExportFormat.CSV:
            self._csv = csv.writer(self.out)
            self._csv.writerow(self.names)

    def rows(self, rows: list[tuple[str | None, ...]]) -> None:
        if self._csv is not None:
            self._csv.writerows(rows)
        else:
            names = self.names
            self.out.write(b"".join(orjson.dumps(dict(zip(names, r, strict=True))) + b"\n" for r in rows))


def _open(path: Path, fmt: ExportFormat) -> IO[Any]:
    if fmt is ExportFormat.CSV:
        return path.open("w", encoding="utf-8-sig", newline="")
    return path.open("wb")


def _query(config: ExportConfig, job: ExportJob) -> ExportQuery:
    """The job's rows as its owner's list showed them when it started (`created_at` is its now)."""
    principal, now = owner(job), job.created_at
    where = condition(job.list_kind, principal, job_criteria(job), now, config.zone)
    return ExportQuery(job.list_kind, listing(job.list_kind, now, config.zone), principal, where, job.columns)


async def run_job(sessions: SessionFactory, config: ExportConfig, job: ExportJob) -> None:
    """Run one claimed attempt to SUCCEEDED, back to QUEUED (attempts left) or FAILED."""
    config.directory.mkdir(parents=True, exist_ok=True)
    for stale in config.directory.glob(f"{job.id}.*.part"):
        stale.unlink(missing_ok=True)
    part = _part_path(config, job)
    try:
        query = _query(config, job)
        total = await count_rows(sessions, query)
        await _beat(sessions, job, rows_total=total)
        cells = query.cells(config.zone)
        done = 0
        with _open(part, job.format) as out:
            writer = _Writer(job.format, header(job.columns), out)
            async for batch in stream_rows(sessions, query):
                writer.rows(cells(batch))
                done += len(batch)
                await _beat(sessions, job, rows_done=done)
            out.flush()
            os.fsync(out.fileno())
        target = final_path(config, job)
        os.replace(part, target)
        finished = utcnow()
        await _beat(
            sessions,
            job,
            state=ExportState.SUCCEEDED,
            rows_done=done,
            file_path=str(target),
            finished_at=finished,
            expires_at=finished + config.ttl,
        )
    except _TakenOver:
        part.unlink(missing_ok=True)
        log.info("export %s attempt %s was taken over by another process", job.id, job.attempt)
    except Exception:
        part.unlink(missing_ok=True)
        log.exception("export %s attempt %s failed", job.id, job.attempt)
        last = job.attempt >= config.max_attempts
        with contextlib.suppress(_TakenOver):
            await _beat(
                sessions,
                job,
                state=ExportState.FAILED if last else ExportState.QUEUED,
                error=f"the export failed on attempt {job.attempt} of {config.max_attempts} "
                f"(logged with export id {job.id})",
                finished_at=utcnow() if last else None,
            )


async def run_next(sessions: SessionFactory, config: ExportConfig) -> bool:
    """Claim and run one job; False when none was waiting."""
    job = await claim(sessions, config, utcnow())
    if job is None:
        return False
    await run_job(sessions, config, job)
    return True


async def expire_exports(sessions: SessionFactory, now: datetime, limit: int = 200) -> int:
    """Delete the files of jobs past `expires_at` and mark them EXPIRED; how many were expired."""
    async with sessions() as session:
        due = (
            await session.scalars(
                select(ExportJob.id)
                .where(ExportJob.state == ExportState.SUCCEEDED, ExportJob.expires_at <= now)
                .order_by(ExportJob.id)
                .limit(limit)
            )
        ).all()
    expired = 0
    for job_id in due:
        async with unit_of_work(sessions) as session:
            job = await session.get(ExportJob, job_id, with_for_update={"skip_locked": True})
            if job is None or job.state is not ExportState.SUCCEEDED:
                continue
            if job.file_path:
                _remove(job.file_path)
            job.state = ExportState.EXPIRED
            job.file_path = None
            expired += 1
    return expired


def _remove(path: str) -> None:
    Path(path).unlink(missing_ok=True)


def kick(sessions: SessionFactory, config: ExportConfig) -> None:
    """Run waiting jobs in the background of this process (one job at a time per database).

    Called after `startExport` commits and on every sweep (services/background.py).
    """
    background.kick("exports", sessions, lambda: run_next(sessions, config))
