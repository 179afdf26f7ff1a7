"""Root field `metrics`: reads the arguments, resolves range and store scope, opens the query.

Everything below the root is lazy: only the sections and figures a client selects are computed,
and those selected together share their SQL (see `services/metrics/sections.py`).
"""

from __future__ import annotations

from datetime import timedelta

import strawberry

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.schema.metrics import Metrics
from gql.schema.metrics_figures import Comparison, DateRange, MetricsRange
from gql.schema.order_search import RegionFilter
from models.base import utcnow
from models.date_ranges import Range, RangeError, resolve_range
from models.errors import DomainError, ErrorCode
from services.db import SessionFactory
from services.metrics.sections import MetricsConfig, open_metrics, scope_of


def _analytics(info: Info) -> tuple[SessionFactory, str]:
    """The read sessions for metrics (the replica when ANALYTICS_DATABASE_URL is set) and their dialect."""
    return info.context.analytics_sessions, info.context.analytics_dialect


def _range_view(r: Range) -> MetricsRange:
    c, p = r.current, r.previous
    return MetricsRange(
        timezone=r.zone_name,
        first_day=c.first_day,
        last_day=c.last_day,
        start=c.start,
        end=c.end,
        until=c.until,
        previous_first_day=p.first_day,
        previous_last_day=p.last_day,
        previous_start=p.start,
        previous_until=p.until,
    )


@strawberry.type
class MetricsQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Figures of SPEC §5 for a date range in the business time zone, within the caller's "
        "stores (HQ and analysts: all; store staff: theirs), narrowed by `storeIds` and `region`. With "
        "`compare: PREVIOUS_PERIOD` every figure also has its previous value and change. Results are "
        "cached briefly (METRICS_CACHE_SECONDS).",
    )
    async def metrics(
        self,
        info: Info,
        range: DateRange,
        store_ids: list[strawberry.ID] | None = None,
        region: RegionFilter | None = None,
        compare: Comparison | None = None,
    ) -> Metrics:
        ctx = info.context
        settings = ctx.settings
        now = utcnow()
        try:
            resolved = resolve_range(settings.zone, now, range.preset, range.from_, range.to)
        except RangeError as exc:
            raise DomainError(ErrorCode.BAD_USER_INPUT, str(exc), "range") from None
        ids = [decode_id(str(v), "Store", f"storeIds.{i}") for i, v in enumerate(store_ids or [])]
        where = None if region is None else (region.province, region.city, region.district)
        stores = await scope_of(ctx.sessions, ctx.principal, ids, where)
        sessions, dialect = _analytics(info)
        query = open_metrics(
            primary=ctx.sessions,
            analytics=sessions,
            dialect=dialect,
            cache=ctx.cache,
            config=MetricsConfig(
                zone=settings.zone,
                cache_seconds=settings.metrics_cache_seconds,
                analyst_timeout_ms=settings.analyst_statement_timeout_ms,
                rollup_max_age=timedelta(seconds=settings.metrics_rollup_max_age_seconds),
                use_rollups=settings.metrics_rollups,
            ),
            principal=ctx.principal,
            range_=resolved,
            stores=stores,
            compare=compare is Comparison.PREVIOUS_PERIOD,
            now=now,
        )
        return Metrics(range=_range_view(resolved), _q=query, _now=now)
