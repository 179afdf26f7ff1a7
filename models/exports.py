"""Bulk export jobs (SPEC §9, task centre of §8): the job row and the pure rules around it.

A job is the truth about an export: who asked (role and scope, never a token), which list, which
filter (the filter AST as JSON), which columns and format, and how far it got. Any process may
run a job; a RUNNING job whose heartbeat is older than the lease belongs to a dead process and
is taken over from scratch, until `max_attempts` attempts have been spent (then FAILED).

States: QUEUED → RUNNING → SUCCEEDED → EXPIRED (file deleted), or RUNNING → FAILED.
Pure rules here, no I/O: column sets, cell formatting, staleness and the download filename.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import Role
from models.money import format_cents


class ExportList(StrEnum):
    ORDERS = "ORDERS"
    ORDER_LINES = "ORDER_LINES"
    AFTER_SALES = "AFTER_SALES"
    CUSTOMERS = "CUSTOMERS"
    VISITS = "VISITS"


class ExportFormat(StrEnum):
    CSV = "CSV"
    NDJSON = "NDJSON"


class ExportState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


OPEN_STATES: Final = frozenset({ExportState.QUEUED, ExportState.RUNNING})
"""States that count against the owner's limit of running jobs."""


class OrderExportColumn(StrEnum):
    """Columns of an ORDERS export; the header of a column is its name in lower case."""

    ORDER_NO = "ORDER_NO"
    STATUS = "STATUS"
    TYPE = "TYPE"
    FULFILLMENT = "FULFILLMENT"
    CHANNEL = "CHANNEL"
    PAYMENT_METHOD = "PAYMENT_METHOD"
    STORE_CODE = "STORE_CODE"
    CONSIGNEE_NAME = "CONSIGNEE_NAME"
    CONSIGNEE_PHONE = "CONSIGNEE_PHONE"
    CONSIGNEE_PROVINCE = "CONSIGNEE_PROVINCE"
    CONSIGNEE_CITY = "CONSIGNEE_CITY"
    CONSIGNEE_DISTRICT = "CONSIGNEE_DISTRICT"
    CONSIGNEE_ADDRESS = "CONSIGNEE_ADDRESS"
    GOODS_AMOUNT = "GOODS_AMOUNT"
    DISCOUNT_AMOUNT = "DISCOUNT_AMOUNT"
    DELIVERY_FEE = "DELIVERY_FEE"
    PACKAGING_FEE = "PACKAGING_FEE"
    PAYABLE_AMOUNT = "PAYABLE_AMOUNT"
    PAID_AMOUNT = "PAID_AMOUNT"
    REFUNDED_AMOUNT = "REFUNDED_AMOUNT"
    CREATED_AT = "CREATED_AT"
    PAID_AT = "PAID_AT"
    BUYER_REMARK = "BUYER_REMARK"


class OrderLineExportColumn(StrEnum):
    """Columns of an ORDER_LINES export (one row per line of the orders the list shows)."""

    ORDER_NO = "ORDER_NO"
    ORDER_STATUS = "ORDER_STATUS"
    STORE_CODE = "STORE_CODE"
    ORDER_CREATED_AT = "ORDER_CREATED_AT"
    ORDER_PAID_AT = "ORDER_PAID_AT"
    PRODUCT_NAME = "PRODUCT_NAME"
    SPEC = "SPEC"
    SKU_CODE = "SKU_CODE"
    IS_GIFT = "IS_GIFT"
    UNIT_PRICE = "UNIT_PRICE"
    QUANTITY = "QUANTITY"
    DISCOUNT_SHARE = "DISCOUNT_SHARE"
    PAID_AMOUNT = "PAID_AMOUNT"
    SHIPPED_QUANTITY = "SHIPPED_QUANTITY"
    REFUNDED_QUANTITY = "REFUNDED_QUANTITY"
    REFUNDED_AMOUNT = "REFUNDED_AMOUNT"


class AfterSaleExportColumn(StrEnum):
    """Columns of an AFTER_SALES export; CONSIGNEE_PHONE is the order's, masked as the order's is."""

    AFTER_SALE_NO = "AFTER_SALE_NO"
    ORDER_NO = "ORDER_NO"
    STORE_CODE = "STORE_CODE"
    TYPE = "TYPE"
    INITIATOR = "INITIATOR"
    STATUS = "STATUS"
    REASON = "REASON"
    REFUND_AMOUNT = "REFUND_AMOUNT"
    REJECT_REASON = "REJECT_REASON"
    RETURN_CARRIER = "RETURN_CARRIER"
    RETURN_TRACKING_NO = "RETURN_TRACKING_NO"
    CONSIGNEE_PHONE = "CONSIGNEE_PHONE"
    CREATED_AT = "CREATED_AT"
    REVIEWED_AT = "REVIEWED_AT"
    RETURN_SHIPPED_AT = "RETURN_SHIPPED_AT"
    REFUNDED_AT = "REFUNDED_AT"
    CLOSED_AT = "CLOSED_AT"


class CustomerExportColumn(StrEnum):
    """Columns of a CUSTOMERS export; LIFECYCLE_SEGMENT is as of the moment the export started."""

    NICKNAME = "NICKNAME"
    PHONE = "PHONE"
    MEMBER_LEVEL = "MEMBER_LEVEL"
    POINTS = "POINTS"
    IS_NEW = "IS_NEW"
    LIFECYCLE_SEGMENT = "LIFECYCLE_SEGMENT"
    REGISTERED_AT = "REGISTERED_AT"
    FIRST_PAID_AT = "FIRST_PAID_AT"
    LAST_ORDER_AT = "LAST_ORDER_AT"


class VisitExportColumn(StrEnum):
    """Columns of a VISITS export (page views); none of them is personal data."""

    EVENT_ID = "EVENT_ID"
    OCCURRED_AT = "OCCURRED_AT"
    RECEIVED_AT = "RECEIVED_AT"
    VISITOR_ID = "VISITOR_ID"
    SESSION_ID = "SESSION_ID"
    PAGE_TYPE = "PAGE_TYPE"
    SOURCE = "SOURCE"
    STORE_CODE = "STORE_CODE"
    PRODUCT_NAME = "PRODUCT_NAME"
    DWELL_MS = "DWELL_MS"


COLUMNS: Final[dict[ExportList, type[StrEnum]]] = {
    ExportList.ORDERS: OrderExportColumn,
    ExportList.ORDER_LINES: OrderLineExportColumn,
    ExportList.AFTER_SALES: AfterSaleExportColumn,
    ExportList.CUSTOMERS: CustomerExportColumn,
    ExportList.VISITS: VisitExportColumn,
}
"""The column enum of each list; its members, in declaration order, are the default set."""

EXPORTING_ROLES: Final = frozenset({Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST})
"""Shoppers and anonymous callers cannot export."""


def chosen_columns(kind: ExportList, given: Sequence[StrEnum] | None) -> list[str]:
    """The columns of an export: `given` in the caller's order without repeats, else the default set.

    Raises ValueError when a column does not belong to the list or none is given.
    """
    allowed = COLUMNS[kind]
    if given is None:
        return [c.value for c in allowed]
    if not given:
        raise ValueError("give at least one column, or none at all for the default set")
    out: list[str] = []
    for column in given:
        if not isinstance(column, allowed):
            raise ValueError(f"{column.value} is not a column of {kind.value}")
        if column.value not in out:
            out.append(column.value)
    return out


def header(columns: Sequence[str]) -> list[str]:
    """Stable header names: the column enum names in lower case (`order_no`, `paid_amount`)."""
    return [c.lower() for c in columns]


def cell_money(cents: int | None) -> str | None:
    """Money cells are yuan with exactly two places, from integer cents (12345 → "123.45")."""
    return None if cents is None else format_cents(cents)


def cell_time(value: datetime | None, zone: tzinfo) -> str | None:
    """Times are ISO-8601 in the business time zone with its offset, to the second (naive: UTC)."""
    return time_cells((value,), zone)[0]


def money_cells(values: Sequence[int | None]) -> list[str | None]:
    """`cell_money` of each value, formatting each distinct amount once (amounts repeat a lot)."""
    formatted = {v: format_cents(v) for v in set(values) if v is not None}
    return list(map(formatted.get, values))  # type: ignore[arg-type]


def time_cells(values: Sequence[datetime | None], zone: tzinfo) -> list[str | None]:
    """`cell_time` of each value (one comprehension: a call per cell costs more than the cell)."""
    return [
        None
        if v is None
        else (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(zone).isoformat(timespec="seconds")
        for v in values
    ]


def file_name(kind: ExportList, fmt: ExportFormat, created_at: datetime, zone: tzinfo) -> str:
    """orders-20261206-031300.csv: the list, the job's creation time (business zone), the format."""
    stamp = created_at.astimezone(zone).strftime("%Y%m%d-%H%M%S")
    ext = "csv" if fmt is ExportFormat.CSV else "ndjson"
    return f"{kind.value.lower().replace('_', '-')}-{stamp}.{ext}"


def is_stale(heartbeat_at: datetime | None, now: datetime, lease: timedelta) -> bool:
    """A RUNNING job whose last heartbeat is older than the lease lost its process."""
    return heartbeat_at is None or heartbeat_at <= now - lease


class ExportJob(Base):
    """One export; rows_done/rows_total are progress, file_path is set once SUCCEEDED."""

    __tablename__ = "export_jobs"
    __table_args__ = (
        Index("ix_export_jobs_state_heartbeat_at", "state", "heartbeat_at"),
        Index("ix_export_jobs_owner_key_state", "owner_key", "state"),
    )

    id: Mapped[int] = id_pk()
    owner_key: Mapped[str] = mapped_column(String(200))
    """`Principal.key` of the caller (role:subject): who may read the job and its link."""
    owner_role: Mapped[Role] = mapped_column(enum_type(Role))
    owner_subject: Mapped[str | None] = mapped_column(String(200))
    owner_store_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    owner_customer_id: Mapped[int | None] = mapped_column(IdType)
    list_kind: Mapped[ExportList] = mapped_column(enum_type(ExportList))
    format: Mapped[ExportFormat] = mapped_column(enum_type(ExportFormat))
    columns: Mapped[list[str]] = mapped_column(JsonType)
    criteria: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """The list's criteria as JSON (services/exports/criteria.py): for orders and lines
    {"filter": AST | null, "query": AST | null}, for the other lists their filter's fields."""
    query_text: Mapped[str | None] = mapped_column(Text)
    """The `query:` string as given (shown back; the AST above is what runs)."""
    state: Mapped[ExportState] = mapped_column(enum_type(ExportState), default=ExportState.QUEUED)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
