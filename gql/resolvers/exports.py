"""Root fields of bulk exports (`startExport`, `export`) and the signed download route.

The resolvers translate input only: each list's filter becomes that list's criteria by the code
its own list runs (`gql/resolvers/order_search.criteria`, the after-sale and customer lists'
`_criteria`), `services/exports` does the rest. The job is started after its row commits; the
download link is shown to the job's owner and HQ only (`find_export`), and the route trusts
nothing but the link's signature.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo
from enum import StrEnum
from pathlib import Path

import strawberry
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import user_error
from gql.resolvers.after_sales import after_sale_criteria
from gql.resolvers.customers import customer_criteria
from gql.resolvers.order_search import criteria
from gql.schema.customers import CustomerFilter
from gql.schema.exports import ExportJob, StartExportInput, StartExportPayload, VisitExportFilter
from gql.schema.order_search import DateTimeRange
from gql.settings import Settings
from gql.time_input import half_open
from models import exports as rows
from models.base import utcnow
from models.errors import DomainError, ErrorCode
from services.db import SessionFactory
from services.exports.jobs import ExportConfig, download_query, find_export, start_export
from services.exports.links import verify
from services.exports.lists import ExportCriteria, VisitCriteria
from services.exports.runner import kick

_MEDIA_TYPES = {
    rows.ExportFormat.CSV: "text/csv; charset=utf-8",
    rows.ExportFormat.NDJSON: "application/x-ndjson",
}


def export_config(settings: Settings) -> ExportConfig:
    return ExportConfig(
        directory=settings.export_dir,
        secret=settings.jwt_secret,
        zone=settings.zone,
        ttl=timedelta(hours=settings.export_ttl_hours),
        link_ttl=timedelta(minutes=settings.export_link_minutes),
        lease=timedelta(seconds=settings.export_lease_seconds),
        max_attempts=settings.export_max_attempts,
        max_open_per_owner=settings.export_max_open_per_owner,
    )


def _view(info: Info, config: ExportConfig, row: rows.ExportJob) -> ExportJob:
    name = rows.file_name(row.list_kind, row.format, row.created_at, config.zone)
    url = None
    if row.state is rows.ExportState.SUCCEEDED:
        request = info.context.request
        base = str(request.base_url) if request is not None else "/"
        url = f"{base}exports/{row.id}/download?{download_query(config, row, utcnow())}"
    return ExportJob.of(row, name, url)


@strawberry.type
class ExportQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="An export job with its state and progress; null unless the caller started it "
        "(or is HQ).",
    )
    async def export(self, info: Info, id: strawberry.ID) -> ExportJob | None:
        job_id = decode_id(id, "ExportJob")
        seen = _read_in_this_request(info)
        if job_id not in seen:  # a job moves on while it is read: one request shows one moment of it
            row = await find_export(info.context.sessions, info.context.principal, job_id)
            seen[job_id] = None if row is None else _view(info, export_config(info.context.settings), row)
        return seen[job_id]


def _read_in_this_request(info: Info) -> dict[int, ExportJob | None]:
    request = info.context.request
    if request is None:
        return {}
    seen: dict[int, ExportJob | None] | None = getattr(request.state, "export_jobs", None)
    if seen is None:
        seen = request.state.export_jobs = {}
    return seen


@strawberry.type
class ExportMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Start exporting a list as a background job; poll `export(id)` for progress and "
        "the link. A caller may have a few exports queued or running at once; more are THROTTLED.",
    )
    async def start_export(self, info: Info, input: StartExportInput) -> StartExportPayload:
        ctx = info.context
        config = export_config(ctx.settings)
        try:
            columns = _columns(input)
            row = await start_export(
                ctx.sessions,
                config,
                ctx.principal,
                input.list_kind,
                input.format,
                columns,
                _criteria(info, input),
                input.query,
                utcnow(),
            )
        except DomainError as error:
            return StartExportPayload(export=None, user_errors=[user_error(error)])
        kick(ctx.sessions, config)  # after commit: this process starts on it at once
        return StartExportPayload(export=_view(info, config, row), user_errors=[])


_COLUMNS: dict[rows.ExportList, str] = {
    rows.ExportList.ORDERS: "order_columns",
    rows.ExportList.ORDER_LINES: "order_line_columns",
    rows.ExportList.AFTER_SALES: "after_sale_columns",
    rows.ExportList.CUSTOMERS: "customer_columns",
    rows.ExportList.VISITS: "visit_columns",
}
_FILTERS: dict[str, frozenset[rows.ExportList]] = {
    "filter": frozenset({rows.ExportList.ORDERS, rows.ExportList.ORDER_LINES}),
    "query": frozenset({rows.ExportList.ORDERS, rows.ExportList.ORDER_LINES}),
    "after_sale_filter": frozenset({rows.ExportList.AFTER_SALES}),
    "customer_filter": frozenset({rows.ExportList.CUSTOMERS}),
    "visit_filter": frozenset({rows.ExportList.VISITS}),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _columns(input: StartExportInput) -> list[StrEnum] | None:
    """The columns given for the exported list (None: its default set); another list's are refused."""
    for kind, name in _COLUMNS.items():
        if kind is not input.list_kind and getattr(input, name) is not None:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"{_camel(name)} belong to another list", _camel(name)
            )
    given = getattr(input, _COLUMNS[input.list_kind])
    return None if given is None else list(given)


def _criteria(info: Info, input: StartExportInput) -> ExportCriteria:
    """The exported list's criteria, made by its own list's code; another list's filter is refused."""
    for name, kinds in _FILTERS.items():
        if input.list_kind not in kinds and getattr(input, name) is not None:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"{_camel(name)} is not a filter of this list", _camel(name)
            )
    kind = input.list_kind
    if kind is rows.ExportList.AFTER_SALES:
        return after_sale_criteria(input.after_sale_filter)
    if kind is rows.ExportList.CUSTOMERS:
        return customer_criteria(input.customer_filter or CustomerFilter(), info.context.deps.rules.zone)
    if kind is rows.ExportList.VISITS:
        return _visit_criteria(input.visit_filter or VisitExportFilter(), info.context.deps.rules.zone)
    return criteria(info, input.filter, input.query)


def _visit_criteria(f: VisitExportFilter, zone: tzinfo) -> VisitCriteria:
    span = f.occurred_at or DateTimeRange()
    start, end = half_open(span.from_, span.to, zone, "visitFilter.occurredAt")
    return VisitCriteria(
        occurred_from=start,
        occurred_to=end,
        store_ids=tuple(decode_id(s, "Store", "visitFilter.storeIds") for s in f.store_ids or ()),
        page_types=tuple(f.page_type or ()),
        sources=tuple(f.source or ()),
    )


async def download_endpoint(request: Request, settings: Settings, sessions: SessionFactory) -> Response:
    """GET /exports/{id}/download?expires=…&sig=…: the file, streamed from disk.

    403 when the signature is wrong or the link expired, 404 when the job has no file (yet, or any more).
    """
    job_id = int(request.path_params["job_id"])
    try:
        expires = int(request.query_params.get("expires", ""))
    except ValueError:
        expires = 0
    config = export_config(settings)
    if not verify(config.key, job_id, expires, request.query_params.get("sig", ""), utcnow()):
        return JSONResponse({"error": "the download link is invalid or has expired"}, status_code=403)
    async with sessions() as session:
        row = await session.get(rows.ExportJob, job_id)
    path = Path(row.file_path) if row is not None and row.file_path else None
    if row is None or row.state is not rows.ExportState.SUCCEEDED or path is None or not path.is_file():
        return JSONResponse({"error": "the export is not ready or has expired"}, status_code=404)
    name = rows.file_name(row.list_kind, row.format, row.created_at, config.zone)
    return FileResponse(path, media_type=_MEDIA_TYPES[row.format], filename=name)
