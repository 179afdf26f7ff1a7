"""Documents and steps shared by the store-delivery tests: staff steps and signed courier callbacks."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from services.deliveries.courier_webhook import signature
from tests.api.conftest import Api, Response
from tests.api.order_flow import Shop, mutation, ok, place_and_pay

DELIVERY_FIELDS = """
  id status deliveryStage version paidAt pickedAt riderAssignedAt shippedAt deliveredAt promisedAt
  delivery { source platform dispatchId riderName riderPhone latitude longitude positionAt }
  events { action toStatus }
"""
STEP_PAYLOAD = f"order {{ {DELIVERY_FIELDS} }} userErrors {{ code field message }}"

FINISH_PICKING = mutation("finishPicking", "DeliveryStepInput", STEP_PAYLOAD)
ASSIGN_OWN = mutation("assignOwnRider", "AssignOwnRiderInput", STEP_PAYLOAD)
REQUEST_PLATFORM = mutation("requestPlatformRider", "DeliveryStepInput", STEP_PAYLOAD)
DELIVERING = mutation("markOrderDelivering", "DeliveryStepInput", STEP_PAYLOAD)
DELIVERED = mutation("markOrderDelivered", "DeliveryStepInput", STEP_PAYLOAD)
ACCEPT = mutation("acceptOrder", "AcceptOrderInput", STEP_PAYLOAD)
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Order {{ {DELIVERY_FIELDS} }} }} }}"

_nonces = itertools.count(1)


async def accepted_delivery(api: Api, shop: Shop) -> dict[str, Any]:
    """A paid store-delivery order at store A, accepted: PICKING."""
    paid = await place_and_pay(api, shop)
    return ok(await api.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")


async def picked(api: Api, shop: Shop) -> dict[str, Any]:
    order = await accepted_delivery(api, shop)
    return ok(
        await api.as_staff(shop.a.id).execute(FINISH_PICKING, input={"orderId": order["id"]}), "finishPicking"
    )


async def read(api: Api, order_id: str) -> dict[str, Any]:
    r = await api.as_hq().execute(READ, id=order_id)
    assert r.errors == [], r.errors
    node: dict[str, Any] = r.data["node"]
    return node


def callback_body(dispatch_id: str, event: str, **extra: Any) -> bytes:
    body = {"dispatchId": dispatch_id, "event": event, "occurredAt": datetime.now(UTC).isoformat(), **extra}
    return orjson.dumps(body)


async def post_signed(
    api: Api,
    body: bytes,
    *,
    secret: str | None = None,
    nonce: str | None = None,
    timestamp: int | None = None,
    tamper: bool = False,
) -> Response:
    secret = secret or api.settings.courier_secret or ""
    nonce = nonce or f"nonce-{next(_nonces):06d}-{time.monotonic_ns()}"
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    sig = signature(secret, stamp, nonce, body)
    sent = body + b" " if tamper else body
    r = await api.http.post(
        "/webhooks/courier",
        content=sent,
        headers={
            "content-type": "application/json",
            "x-courier-timestamp": stamp,
            "x-courier-nonce": nonce,
            "x-courier-signature": sig,
        },
    )
    return Response(r.status_code, r.json())
