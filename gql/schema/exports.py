"""GraphQL types of bulk export jobs: `StartExportInput`, `ExportJob` and its payload.

Only shapes live here; `gql/resolvers/exports.py` starts and reads jobs through
`services/exports/` and decides when a download link is shown.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.ids import encode_id
from gql.schema.after_sales import AfterSaleFilter
from gql.schema.common import UserError
from gql.schema.customers import CustomerFilter
from gql.schema.order_search import QUERY_DESCRIPTION, DateTimeRange, OrderFilter
from models import exports as rows
from models.enums import PageType, SourceChannel

strawberry.enum(rows.ExportList, description="A list that can be exported (the admin list of that name).")
strawberry.enum(
    rows.ExportFormat,
    description="CSV: UTF-8 with a byte-order mark, a header row of lower-case column names. "
    "NDJSON: one JSON object a line, keyed by the same names.",
)
strawberry.enum(
    rows.ExportState,
    description="QUEUED → RUNNING → SUCCEEDED → EXPIRED (file deleted), or FAILED with `error`.",
)
strawberry.enum(rows.OrderExportColumn, description="A column of an ORDERS export.")
strawberry.enum(rows.OrderLineExportColumn, description="A column of an ORDER_LINES export.")
strawberry.enum(
    rows.AfterSaleExportColumn,
    description="A column of an AFTER_SALES export; CONSIGNEE_PHONE is the order's, masked as there.",
)
strawberry.enum(
    rows.CustomerExportColumn,
    description="A column of a CUSTOMERS export; LIFECYCLE_SEGMENT as of when the export started.",
)
strawberry.enum(rows.VisitExportColumn, description="A column of a VISITS export (page views).")


@strawberry.input(
    description="Narrow a VISITS export; every given condition must hold. Page views have no list of "
    "their own: HQ and analysts export every store's, store staff their stores' (views without a "
    "store are nobody's store's)."
)
class VisitExportFilter:
    occurred_at: DateTimeRange | None = None
    store_ids: list[strawberry.ID] | None = None
    page_type: list[PageType] | None = None
    source: list[SourceChannel] | None = None


@strawberry.input(
    description="What to export: the rows the caller's list shows for its filter (and `query`), in id "
    "order. Give only the filter and columns of the exported list; another list's are refused."
)
class StartExportInput:
    list_kind: rows.ExportList = strawberry.field(name="list")
    format: rows.ExportFormat = rows.ExportFormat.CSV
    filter: OrderFilter | None = strawberry.field(
        default=None, description="The order list's filter (ORDERS, ORDER_LINES: lines of those orders)."
    )
    query: str | None = strawberry.field(
        default=None, description=f"ORDERS and ORDER_LINES only. {QUERY_DESCRIPTION}"
    )
    after_sale_filter: AfterSaleFilter | None = strawberry.field(
        default=None, description="AFTER_SALES: the after-sale list's filter."
    )
    customer_filter: CustomerFilter | None = strawberry.field(
        default=None, description="CUSTOMERS: the customer list's filter."
    )
    visit_filter: VisitExportFilter | None = strawberry.field(default=None, description="VISITS only.")
    order_columns: list[rows.OrderExportColumn] | None = strawberry.field(
        default=None, description="Columns of an ORDERS export, in this order; default: all of them."
    )
    order_line_columns: list[rows.OrderLineExportColumn] | None = strawberry.field(
        default=None, description="Columns of an ORDER_LINES export, in this order; default: all of them."
    )
    after_sale_columns: list[rows.AfterSaleExportColumn] | None = strawberry.field(
        default=None, description="Columns of an AFTER_SALES export, in this order; default: all of them."
    )
    customer_columns: list[rows.CustomerExportColumn] | None = strawberry.field(
        default=None, description="Columns of a CUSTOMERS export, in this order; default: all of them."
    )
    visit_columns: list[rows.VisitExportColumn] | None = strawberry.field(
        default=None, description="Columns of a VISITS export, in this order; default: all of them."
    )


@strawberry.type(
    description="A bulk export job. Money cells are yuan with two decimals (exact, from cents); times "
    "are ISO-8601 in the business time zone with its offset; phones and addresses are masked exactly "
    "as the job's owner sees them in GraphQL."
)
class ExportJob:
    id: strawberry.ID
    list_kind: rows.ExportList = strawberry.field(name="list")
    format: rows.ExportFormat
    state: rows.ExportState
    columns: list[str] = strawberry.field(description="The header, in file order.")
    query: str | None
    rows_done: int = strawberry.field(description="Rows written so far by the current attempt.")
    rows_total: int | None = strawberry.field(description="Rows matching when the attempt started.")
    attempt: int = strawberry.field(description="Attempts started (a process that died costs one).")
    error: str | None
    file_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None = strawberry.field(description="When the file is deleted (SUCCEEDED).")
    download_url: str | None = strawberry.field(
        description="SUCCEEDED only: a signed link to the file, valid for a few minutes (a new one "
        "on every read)."
    )

    @classmethod
    def of(cls, row: rows.ExportJob, file_name: str, download_url: str | None) -> ExportJob:
        return cls(
            id=strawberry.ID(encode_id("ExportJob", row.id)),
            list_kind=row.list_kind,
            format=row.format,
            state=row.state,
            columns=rows.header(row.columns),
            query=row.query_text,
            rows_done=row.rows_done,
            rows_total=row.rows_total,
            attempt=row.attempt,
            error=row.error,
            file_name=file_name,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            expires_at=row.expires_at,
            download_url=download_url,
        )


@strawberry.type
class StartExportPayload:
    export: ExportJob | None
    user_errors: list[UserError]
