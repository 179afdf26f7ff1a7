"""Starting and reading export jobs; the job row is the truth, a worker picks it up (runner.py).

`start_export` checks everything a job could trip over later (role, filter compiled within the
caller's scope by the list's own code, columns, the owner's limit of open jobs) so a job that is
queued can only fail for reasons outside the caller's input. Only the owner and HQ may read a job.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.exports import (
    EXPORTING_ROLES,
    OPEN_STATES,
    ExportFormat,
    ExportJob,
    ExportList,
    chosen_columns,
)
from models.principals import Principal
from services.db import SessionFactory, unit_of_work
from services.exports import criteria as codec
from services.exports.links import link_key, sign
from services.exports.lists import ExportCriteria, condition
from services.metrics.sql import dialect_of
from services.orders.search import OrderCriteria, check_store_codes
from services.scoping import require_signed_in


@dataclass(frozen=True, slots=True)
class ExportConfig:
    """The export knobs as the services see them (built from gql.settings at the edge)."""

    directory: Path
    secret: str = field(repr=False)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    ttl: timedelta = timedelta(hours=24)
    """How long a finished file stays downloadable before the sweeper deletes it (EXPIRED)."""
    link_ttl: timedelta = timedelta(minutes=15)
    lease: timedelta = timedelta(seconds=60)
    """A RUNNING job without a heartbeat for this long lost its process and is taken over."""
    max_attempts: int = 3
    max_open_per_owner: int = 2

    @property
    def key(self) -> bytes:
        return link_key(self.secret)


def owner(job: ExportJob) -> Principal:
    """The principal the job runs as: the role and scope stored when it was started."""
    return Principal(job.owner_role, job.owner_subject, frozenset(job.owner_store_ids), job.owner_customer_id)


def job_criteria(job: ExportJob) -> ExportCriteria:
    return codec.load_criteria(job.list_kind, job.criteria)


async def start_export(
    sessions: SessionFactory,
    config: ExportConfig,
    principal: Principal,
    kind: ExportList,
    fmt: ExportFormat,
    columns: Sequence[StrEnum] | None,
    criteria: ExportCriteria,
    query_text: str | None,
    now: datetime,
) -> ExportJob:
    """Queue an export of the rows `principal`'s list shows under `criteria`; committed on return.

    `criteria` must be the list's own kind (OrderCriteria for ORDERS and ORDER_LINES, …); relative
    windows (a customer's lifecycle segment) are placed at `now`, the job's `created_at`.
    """
    role = require_signed_in(principal)
    if role not in EXPORTING_ROLES:
        raise DomainError(ErrorCode.FORBIDDEN, "this role may not export lists")
    try:
        names = chosen_columns(kind, columns)
    except ValueError as exc:
        raise DomainError(ErrorCode.BAD_USER_INPUT, str(exc), "columns") from None
    condition(kind, principal, criteria, now, config.zone)  # refuses now what the list refuses
    if isinstance(criteria, OrderCriteria):
        await check_store_codes(sessions, criteria)  # an unknown store code, as the order list
    async with unit_of_work(sessions) as session:
        await _serialise_owner(session, principal.key)
        open_jobs = await session.scalar(
            select(func.count())
            .select_from(ExportJob)
            .where(ExportJob.owner_key == principal.key, ExportJob.state.in_(sorted(OPEN_STATES)))
        )
        if (open_jobs or 0) >= config.max_open_per_owner:
            raise DomainError(
                ErrorCode.THROTTLED,
                f"at most {config.max_open_per_owner} exports may be queued or running at once; "
                "wait for one to finish",
            )
        job = ExportJob(
            owner_key=principal.key,
            owner_role=role,
            owner_subject=principal.subject,
            owner_store_ids=sorted(principal.store_ids),
            owner_customer_id=principal.customer_id,
            list_kind=kind,
            format=fmt,
            columns=names,
            criteria=codec.dump_criteria(criteria),
            query_text=query_text,
            created_at=now,
        )
        session.add(job)
    return job


async def _serialise_owner(session: AsyncSession, owner_key: str) -> None:
    """Hold the owner's lock until commit, so concurrent starts count each other's jobs.

    On PostgreSQL a transaction-scoped advisory lock keyed by the owner; a SQLite write unit of
    work already holds the database's write lock from BEGIN.
    """
    if dialect_of(session) == "postgresql":
        key = zlib.crc32(f"mallgraph.exports.{owner_key}".encode())
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def find_export(sessions: SessionFactory, principal: Principal, job_id: int) -> ExportJob | None:
    """The job when `principal` owns it or is HQ; None otherwise (as if it did not exist)."""
    require_signed_in(principal)
    async with sessions() as session:
        job = await session.get(ExportJob, job_id)
    if job is None or not (job.owner_key == principal.key or principal.role is Role.HQ_ADMIN):
        return None
    return job


def download_query(config: ExportConfig, job: ExportJob, now: datetime) -> str:
    """`expires=…&sig=…` of a link to the job's file, valid for `config.link_ttl` and up to a minute more.

    The expiry is rounded up to a whole minute, so every read within a minute gives the same link.
    """
    expires = -(-int((now + config.link_ttl).timestamp()) // 60) * 60
    return f"expires={expires}&sig={sign(config.key, job.id, expires)}"
