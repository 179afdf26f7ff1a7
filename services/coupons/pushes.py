"""发券 as a job: start a push, and run push jobs in any process until they are done.

Starting checks everything the job could trip over (the caller may manage the template, the
template issues, the target is well-formed and within scope) and queues the job. A runner claims
it (QUEUED, or RUNNING with a heartbeat older than the lease: its process died), bumping
`attempt`; every later transaction of the runner locks the job row and names that attempt, so a
runner whose job was taken over stops at its next step. The first step resolves the target into
recipient rows; each later step handles a batch of recipients in one transaction — outcome,
coupon (cause PUSH) and counts together — so a resumed or doubled runner never issues twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select

from models.base import utcnow
from models.coupons.pushes import (
    MAX_TARGETED,
    CouponPushJob,
    CouponPushRecipient,
    PushOutcome,
    PushState,
    push_outcome,
)
from models.coupons.rules import CouponIssueCause
from models.enums import Role
from models.errors import DomainError
from models.principals import SYSTEM, SYSTEM_PRINCIPAL, Principal
from services import background
from services.commands import Deps, Result, Work, run_command
from services.coupons.claiming import check_open, holdings, issue, locked_template
from services.coupons.push_targets import PushTarget, check_target, resolve
from services.coupons.templates import locked_for_manager
from services.db import SessionFactory, unit_of_work
from services.scoping import require_signed_in

log = logging.getLogger("mallgraph.coupon_pushes")

BATCH = 100
LEASE = timedelta(seconds=60)
"""A RUNNING job without a heartbeat for this long lost its process and is taken over."""
MAX_ATTEMPTS = 5


class _TakenOver(Exception):
    """Another runner claimed the job (our heartbeat was stale); stop without touching it."""


async def start_push(work: Work, template_id: int, target: PushTarget) -> Result:
    """Queue a push of the template to `target` (HQ: any template; staff: their 商家券)."""
    t = await locked_for_manager(work, template_id)
    check_open(t, work.now)
    kind, data = await check_target(work.session, work.principal, target)
    job = CouponPushJob(
        template_id=t.id,
        owner_key=work.principal.key,
        owner_role=require_signed_in(work.principal),
        owner_store_ids=sorted(work.principal.store_ids),
        target_kind=kind,
        target=data,
        state=PushState.QUEUED,
        created_at=work.now,
    )
    work.session.add(job)
    await work.session.flush()
    deps = work.deps

    async def start_running() -> None:
        kick(deps)

    work.after_commit(start_running)
    return {"jobId": job.id}


async def find_push(sessions: SessionFactory, principal: Principal, job_id: int) -> CouponPushJob | None:
    """The job when `principal` started it or is HQ; None otherwise (as if it did not exist)."""
    require_signed_in(principal)
    async with sessions() as session:
        job = await session.get(CouponPushJob, job_id)
    if job is None or not (job.owner_key == principal.key or principal.role is Role.HQ_ADMIN):
        return None
    return job


async def claim_job(sessions: SessionFactory, now: datetime) -> tuple[int, int] | None:
    """Take the next runnable job: (job id, our attempt), or None when none is waiting."""
    stale = or_(CouponPushJob.heartbeat_at.is_(None), CouponPushJob.heartbeat_at <= now - LEASE)
    while True:
        async with unit_of_work(sessions) as session:
            job = await session.scalar(
                select(CouponPushJob)
                .where(
                    or_(
                        CouponPushJob.state == PushState.QUEUED,
                        and_(CouponPushJob.state == PushState.RUNNING, stale),
                    )
                )
                .order_by(CouponPushJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if job is None:
                return None
            if job.attempt >= MAX_ATTEMPTS:
                _finish(job, now, PushState.FAILED, f"the push stopped {job.attempt} times without finishing")
                continue
            job.state, job.attempt = PushState.RUNNING, job.attempt + 1
            job.started_at = job.started_at or now
            job.heartbeat_at = now
            return job.id, job.attempt


def _finish(job: CouponPushJob, now: datetime, state: PushState, error: str | None = None) -> None:
    job.state, job.finished_at, job.heartbeat_at, job.error = state, now, now, error


def _owner(job: CouponPushJob) -> Principal:
    return Principal(job.owner_role, "push", frozenset(job.owner_store_ids))


@dataclass(frozen=True, slots=True)
class _Step:
    """One transaction of a runner's attempt; True from `run` while there is more to do."""

    job_id: int
    attempt: int

    async def _job(self, work: Work) -> CouponPushJob:
        job = await work.session.scalar(
            select(CouponPushJob)
            .where(
                CouponPushJob.id == self.job_id,
                CouponPushJob.attempt == self.attempt,
                CouponPushJob.state == PushState.RUNNING,
            )
            .with_for_update()
        )
        if job is None:
            raise _TakenOver
        job.heartbeat_at = work.now
        return job

    async def run(self, work: Work) -> Result:
        job = await self._job(work)
        if job.targeted is None:
            ids = await resolve(work.session, job, _owner(job), work.deps.rules.zone)
            if len(ids) > MAX_TARGETED:
                _finish(job, work.now, PushState.FAILED, f"{len(ids)} customers: at most {MAX_TARGETED}")
                return {"more": False}
            if ids:
                await work.session.execute(
                    insert(CouponPushRecipient), [{"job_id": job.id, "customer_id": c} for c in ids]
                )
            job.targeted = len(ids)
            return {"more": True}
        t = await locked_template(work, job.template_id)
        try:
            check_open(t, work.now)
        except DomainError as exc:
            _finish(job, work.now, PushState.FAILED, f"the template issues no more: {exc.message}")
            return {"more": False}
        batch = (
            await work.session.scalars(
                select(CouponPushRecipient)
                .where(CouponPushRecipient.job_id == job.id, CouponPushRecipient.outcome.is_(None))
                .order_by(CouponPushRecipient.id)
                .limit(BATCH)
                .with_for_update()
            )
        ).all()
        if not batch:
            _finish(job, work.now, PushState.SUCCEEDED)
            return {"more": False}
        for r in batch:
            held, reserved, unused = await holdings(work.session, t.id, r.customer_id)
            remaining = t.total_stock - t.issued_count - t.reserved_count
            r.outcome = push_outcome(unused, held, reserved, t.per_customer_limit, remaining)
            if r.outcome is PushOutcome.ISSUED:
                coupon = await issue(work, t, r.customer_id, held, CouponIssueCause.PUSH, f"发券 #{job.id}")
                r.coupon_id = coupon.id
                job.issued += 1
            elif r.outcome is PushOutcome.ALREADY_HAS:
                job.skipped_already_has += 1
            elif r.outcome is PushOutcome.LIMIT:
                job.skipped_limit += 1
            else:
                job.skipped_stock += 1
        return {"more": True}


async def run_step(deps: Deps, job_id: int, attempt: int, now: datetime | None = None) -> bool:
    """One transaction of the attempt (resolve, or one batch); True while there is more to do.
    Raises _TakenOver when the attempt is no longer the job's."""
    step = _Step(job_id, attempt)
    result = await run_command(deps, SYSTEM_PRINCIPAL, "couponPush", step.run, actor=SYSTEM, now=now)
    return bool(result["more"])


async def run_job(deps: Deps, job_id: int, attempt: int, now: datetime | None = None) -> None:
    """Run one claimed attempt until the job is done, taken over, or an error (left for a retry)."""
    try:
        while await run_step(deps, job_id, attempt, now):
            pass
    except _TakenOver:
        log.info("coupon push %s attempt %s was taken over by another process", job_id, attempt)


async def run_next(deps: Deps, now: datetime | None = None) -> bool:
    """Claim and run one job; False when none was waiting."""
    claimed = await claim_job(deps.sessions, now or utcnow())
    if claimed is None:
        return False
    await run_job(deps, *claimed, now=now)
    return True


def kick(deps: Deps) -> None:
    """Run waiting push jobs in the background of this process (after a start and on each sweep)."""
    background.kick("coupon-pushes", deps.sessions, lambda: run_next(deps))


__all__ = ["PushTarget", "claim_job", "find_push", "kick", "run_job", "run_next", "run_step", "start_push"]
