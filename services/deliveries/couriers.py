"""The courier platform port (第三方配送): asking for a rider, and calling a request off.

A platform answers asynchronously: its rider's acceptance, pickup, position and delivery come back
through the signed webhook (`services.deliveries.courier_webhook`), naming the dispatch id we gave it. The
app talks to one `CourierPlatform`; `FakeCourier` is the dev/test adapter (it records requests and
never calls anyone), a real platform is another adapter with the same methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DispatchRequest:
    dispatch_id: str
    """Our id of this request; every callback about it carries it back."""
    order_no: str
    store_id: int
    pickup_latitude: float | None
    pickup_longitude: float | None
    drop_latitude: float | None
    drop_longitude: float | None


class CourierPlatform(Protocol):
    @property
    def name(self) -> str:
        """The platform's short name (the `platform` of a delivery and of its callbacks)."""
        ...

    async def request_rider(self, request: DispatchRequest) -> None:
        """Ask for a rider; idempotent by `dispatch_id`."""
        ...

    async def cancel(self, dispatch_id: str) -> None:
        """Call a request off (the store switched to its own rider); idempotent."""
        ...


@dataclass
class FakeCourier:
    """Records what was asked of it; tests and the demo answer with signed callbacks themselves."""

    name: str = "fake"
    requested: dict[str, DispatchRequest] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)

    async def request_rider(self, request: DispatchRequest) -> None:
        self.requested[request.dispatch_id] = request

    async def cancel(self, dispatch_id: str) -> None:
        self.cancelled.add(dispatch_id)
