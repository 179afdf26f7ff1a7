"""Export jobs across processes: a job whose process died is taken over and redone from scratch,
gives up cleanly after its attempts, and finished files expire; the filter survives the job row.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from models.after_sales.states import AfterSaleStatus, AfterSaleType
from models.customers.lifecycle import LifecycleSegment
from models.enums import Fulfillment, MemberLevel, PageType, Role, SourceChannel
from models.errors import DomainError, ErrorCode
from models.exports import (
    ExportFormat,
    ExportJob,
    ExportList,
    ExportState,
    cell_time,
    money_cells,
    time_cells,
)
from models.orders import filters as f
from models.orders.query_language import parse_query
from models.orders.states import OrderStatus
from models.principals import Principal
from services.after_sales.search import AfterSaleCriteria
from services.customers import CustomerCriteria
from services.exports import criteria as codec
from services.exports.jobs import ExportConfig, start_export
from services.exports.lists import VisitCriteria
from services.exports.runner import claim, expire_exports, final_path, run_next
from services.orders.search import OrderCriteria
from tests.conftest import Database
from tests.factories import Seed

ZONE = ExportConfig(Path("."), "x" * 32).zone


@pytest.fixture
def seed(db: Database) -> Seed:
    return Seed(db.sessions)


@pytest.fixture
def config(tmp_path: Path) -> ExportConfig:
    return ExportConfig(tmp_path, "s" * 32, max_attempts=2, lease=timedelta(seconds=30))


async def _job(db: Database, **fields: object) -> int:
    job = ExportJob(
        owner_key="HQ_ADMIN:hq",
        owner_role=Role.HQ_ADMIN,
        owner_subject="hq",
        owner_store_ids=[],
        list_kind=ExportList.ORDERS,
        format=ExportFormat.CSV,
        columns=["ORDER_NO"],
        criteria={"filter": None, "query": None},
        **fields,
    )
    async with db.sessions() as session:
        session.add(job)
        await session.commit()
    return job.id


async def _get(db: Database, job_id: int) -> ExportJob:
    async with db.sessions() as session:
        job = await session.get(ExportJob, job_id)
    assert job is not None
    return job


async def _orders(seed: Seed, n: int) -> None:
    store, customer = await seed.store("SH001"), await seed.customer("13811112222")
    _, skus = await seed.product()
    for _ in range(n):
        await seed.order(
            store,
            customer,
            [(skus[0], 1)],
            status=OrderStatus.PENDING_SHIPMENT,
            fulfillment=Fulfillment.STORE_DELIVERY,
        )


async def test_a_job_whose_process_died_is_redone_from_scratch(
    db: Database, seed: Seed, config: ExportConfig
) -> None:
    await _orders(seed, 3)
    stale = datetime.now(UTC) - timedelta(minutes=5)
    job_id = await _job(db, state=ExportState.RUNNING, attempt=1, heartbeat_at=stale, rows_done=2)
    leftover = config.directory / f"{job_id}.1.part"
    leftover.write_text("order_no\r\nhalf a file")
    assert await run_next(db.sessions, config)
    job = await _get(db, job_id)
    assert (job.state, job.attempt, job.rows_done, job.rows_total) == (ExportState.SUCCEEDED, 2, 3, 3)
    assert not leftover.exists()
    assert job.file_path == str(final_path(config, job))
    assert final_path(config, job).read_text(encoding="utf-8-sig").count("\n") == 4


async def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(db: Database, config: ExportConfig) -> None:
    await _job(db, state=ExportState.RUNNING, attempt=1, heartbeat_at=datetime.now(UTC))
    assert await claim(db.sessions, config, datetime.now(UTC)) is None


async def test_after_its_attempts_a_job_fails_cleanly(db: Database, config: ExportConfig) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=5)
    job_id = await _job(db, state=ExportState.RUNNING, attempt=2, heartbeat_at=stale)
    assert not await run_next(db.sessions, config)
    job = await _get(db, job_id)
    assert job.state is ExportState.FAILED
    assert job.error == "the export stopped 2 times without finishing"
    assert job.file_path is None
    assert list(config.directory.iterdir()) == []


async def test_a_failing_export_is_retried_then_failed(
    db: Database, seed: Seed, config: ExportConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _orders(seed, 1)
    job_id = await _job(db)

    def broken(*_: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr("services.exports.runner._open", broken)
    assert await run_next(db.sessions, config)
    assert (await _get(db, job_id)).state is ExportState.QUEUED
    assert await run_next(db.sessions, config)
    job = await _get(db, job_id)
    assert (job.state, job.attempt) == (ExportState.FAILED, 2)
    assert job.error is not None
    assert "disk full" not in job.error  # the reason is logged, not shown
    assert not await run_next(db.sessions, config)
    assert list(config.directory.iterdir()) == []


async def test_finished_files_expire(db: Database, seed: Seed, config: ExportConfig) -> None:
    await _orders(seed, 1)
    job_id = await _job(db)
    assert await run_next(db.sessions, config)
    job = await _get(db, job_id)
    assert job.expires_at is not None
    assert await expire_exports(db.sessions, job.expires_at - timedelta(seconds=1)) == 0
    assert await expire_exports(db.sessions, job.expires_at) == 1
    job = await _get(db, job_id)
    assert (job.state, job.file_path) == (ExportState.EXPIRED, None)
    assert list(config.directory.iterdir()) == []


@pytest.mark.parametrize(
    "query",
    [
        'status:待发货,PENDING_PICKUP store:SH001 paid:>=2026-11-01 total:>100 "张三" -channel:APP',
        "(created:2026-11-01..2026-11-30 OR phone:1234) NOT aftersale:REFUNDED storeid:7 campaign:3",
        "province:上海市 sku:SKU1 product:车厘子 no:2026110100000001 type:GROUP_BUY payment:WECHAT_PAY",
    ],
)
def test_a_filter_is_stored_and_read_back_unchanged(query: str) -> None:
    node = parse_query(query, ZONE)
    assert node is not None
    assert codec.load(codec.dump(node)) == node
    assert codec.dump(None) is None
    assert isinstance(codec.load(codec.dump(f.amount_in(1, None))), f.AmountIn)


@pytest.mark.parametrize(
    ("kind", "criteria"),
    [
        (
            ExportList.AFTER_SALES,
            AfterSaleCriteria(
                statuses=(AfterSaleStatus.PENDING_REVIEW,),
                types=(AfterSaleType.REFUND_ONLY,),
                store_ids=(3, 1),
                order_no="2026110100000001",
                created_from=datetime(2026, 11, 1, tzinfo=UTC),
            ),
        ),
        (
            ExportList.CUSTOMERS,
            CustomerCriteria(
                member_levels=(MemberLevel.GOLD,),
                is_new=False,
                spent_min=100,
                segment=LifecycleSegment.SILENT,
                nickname="张",
                last_order_to=datetime(2026, 11, 30, 16, tzinfo=UTC),
            ),
        ),
        (
            ExportList.VISITS,
            VisitCriteria(
                occurred_from=datetime(2026, 11, 1, tzinfo=UTC),
                store_ids=(7,),
                page_types=(PageType.PRODUCT,),
                sources=(SourceChannel.SHARE, SourceChannel.QR_CODE),
            ),
        ),
        (ExportList.VISITS, VisitCriteria()),
    ],
)
def test_each_lists_criteria_are_stored_and_read_back_unchanged(kind: ExportList, criteria: object) -> None:
    stored = codec.dump_criteria(criteria)  # type: ignore[arg-type]
    assert codec.load_criteria(kind, orjson.loads(orjson.dumps(stored))) == criteria


def test_cells_of_money_and_times() -> None:
    zone = ZONE
    assert money_cells([12345, None, -5, 12345, 0]) == ["123.45", None, "-0.05", "123.45", "0.00"]
    aware = datetime(2026, 11, 3, 2, 0, 5, 999, tzinfo=UTC)
    naive = aware.replace(tzinfo=None)  # as SQLite gives a stored time back
    assert time_cells([aware, naive, None], zone) == ["2026-11-03T10:00:05+08:00"] * 2 + [None]
    assert cell_time(aware, zone) == "2026-11-03T10:00:05+08:00"


async def test_concurrent_starts_queue_no_more_than_the_owners_limit(
    db: Database, config: ExportConfig
) -> None:
    """Each start counts the owner's open jobs under the owner's lock: racing starts cannot overshoot."""
    hq = Principal(Role.HQ_ADMIN, "racer")
    now = datetime.now(UTC)

    async def attempt() -> ErrorCode | None:
        try:
            await start_export(
                db.sessions, config, hq, ExportList.ORDERS, ExportFormat.CSV, None, OrderCriteria(), None, now
            )
        except DomainError as exc:
            return exc.code
        return None

    refusals = await asyncio.gather(*(attempt() for _ in range(6)))
    assert refusals.count(None) == config.max_open_per_owner
    assert set(refusals) == {None, ErrorCode.THROTTLED}
    async with db.sessions() as session:
        open_jobs = await session.scalar(
            select(func.count()).select_from(ExportJob).where(ExportJob.owner_key == hq.key)
        )
    assert open_jobs == config.max_open_per_owner
