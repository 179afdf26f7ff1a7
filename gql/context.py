"""The typed per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from gql.gate.admitted import Admitted
from gql.settings import Settings
from loaders import Loaders
from models.principals import Principal
from services.cache import Cache
from services.commands import Deps
from services.coupons.feed import CouponFeed
from services.db import SessionFactory
from services.orders.feed import OrderFeed


@dataclass(slots=True)
class Context:
    request: Request | None
    response: Response | None
    principal: Principal
    settings: Settings
    sessions: SessionFactory
    cache: Cache
    request_id: str
    deps: Deps
    analytics_sessions: SessionFactory
    """Metrics read here: the read replica when ANALYTICS_DATABASE_URL is set, else the primary."""
    analytics_dialect: str
    admitted: Admitted | None = None
    """Set by the HTTP gate (`gql/gate/admission.py`): the parsed, validated document and its cost."""
    feed: OrderFeed | None = None
    """The live order feed (subscriptions)."""
    coupon_feed: CouponFeed | None = None
    """The live coupon feed (subscriptions)."""
    connection_params: dict[str, Any] | None = None
    """WebSocket only: the `connection_init` payload (where the bearer token comes from)."""
    close_connection: Callable[[int, str], None] = field(default=lambda _code, _reason: None)
    """WebSocket only: close this connection with a code and reason (set by the protocol handler)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.sessions, self.principal)


Info: TypeAlias = StrawberryInfo[Context, None]
