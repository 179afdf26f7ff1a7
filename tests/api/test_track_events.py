"""`trackEvents`: page views in batches, each bad event rejected with its index, the rest stored in
one INSERT, known event ids ignored, and the traffic rollups kept current by the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from gql.ids import encode_id
from models.visits import VisitEvent
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

TRACK = """
mutation ($events: [VisitEventInput!]!) {
  trackEvents(events: $events) {
    accepted duplicates rejected { index reason message } userErrors { code field }
  }
}
"""
SHANGHAI = ZoneInfo("Asia/Shanghai")


def view(n: int, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "eventId": f"e-{n}",
        "visitorId": f"wx-{n % 3}",
        "sessionId": "s-1",
        "pageType": "HOME",
        "occurredAt": at.isoformat(),
        "dwellMs": 1000,
        **extra,
    }


@contextmanager
def inserts_into_visit_events(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO VISIT_EVENTS"):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def _stored(db: Database) -> list[VisitEvent]:
    async with db.sessions() as s:
        return list((await s.scalars(select(VisitEvent).order_by(VisitEvent.event_id))).all())


async def test_bad_events_are_rejected_one_by_one_and_the_rest_stored_in_one_insert(
    api: Api, seed: Seed, db: Database
) -> None:
    store = await seed.store()
    product, _ = await seed.product()
    now = datetime.now(UTC)
    events = [
        view(1, now, storeId=encode_id("Store", store.id)),
        view(2, now, pageType="PRODUCT"),  # a product page without its product
        view(3, now, pageType="PRODUCT", productId=encode_id("Product", product.id), source="SHARE"),
        view(4, now + timedelta(hours=1)),  # a clock far ahead
        view(5, now, productId=encode_id("Store", store.id)),  # an id of the wrong type
        view(6, now, productId=encode_id("Product", product.id + 999)),  # no such product
        {**view(7, now), "visitorId": ""},
        view(8, now, dwellMs=-1),
        view(1, now),  # the same event again within the batch
    ]
    with inserts_into_visit_events(db) as inserts:
        r = await api.execute(TRACK, events=events)
    assert r.errors == [], r.errors
    result = r.data["trackEvents"]
    assert (result["accepted"], result["duplicates"], result["userErrors"]) == (2, 1, [])
    assert [(x["index"], x["reason"]) for x in result["rejected"]] == [
        (1, "PRODUCT_REQUIRED"),
        (3, "INVALID_TIME"),
        (4, "UNKNOWN_PRODUCT"),
        (5, "UNKNOWN_PRODUCT"),
        (6, "INVALID_ID"),
        (7, "INVALID_DWELL"),
    ]
    assert len(inserts) == 1
    stored = await _stored(db)
    assert [(e.event_id, e.customer_id, e.store_id, e.product_id) for e in stored] == [
        ("e-1", None, store.id, None),
        ("e-3", None, None, product.id),
    ]


async def test_a_resent_batch_is_ignored_and_shoppers_are_taken_from_the_token(
    api: Api, seed: Seed, db: Database
) -> None:
    customer = await seed.customer()
    shopper = api.as_shopper(customer.id)
    events = [view(n, datetime.now(UTC)) for n in range(3)]
    first = await shopper.execute(TRACK, events=events)
    again = await shopper.execute(TRACK, events=events)
    assert (first.data["trackEvents"]["accepted"], first.data["trackEvents"]["duplicates"]) == (3, 0)
    assert (again.data["trackEvents"]["accepted"], again.data["trackEvents"]["duplicates"]) == (0, 3)
    assert {e.customer_id for e in await _stored(db)} == {customer.id}


async def test_batch_size_and_audience(api: Api, seed: Seed, db: Database) -> None:
    now = datetime.now(UTC)
    r = await api.execute(TRACK, events=[view(n, now) for n in range(501)])
    assert r.data["trackEvents"]["userErrors"] == [{"code": "BATCH_TOO_LARGE", "field": ["input", "events"]}]
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(VisitEvent)) == 0
    r = await api.execute(TRACK, events=[view(n, now) for n in range(500)])
    assert r.data["trackEvents"]["accepted"] == 500
    store = await seed.store()
    assert (await api.as_staff(store.id).execute(TRACK, events=[])).error_codes == ["FORBIDDEN"]


TRAFFIC = """
query ($range: DateRange!) { metrics(range: $range) { traffic { pv { value } uv { value } }
  products { productPv { value } productsVisited { value } } sources { source visitors pv } } }
"""


async def test_tracked_events_show_in_metrics_at_once(api: Api, seed: Seed) -> None:
    product, _ = await seed.product()
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=SHANGHAI)
    day = {"from": yesterday.isoformat(), "to": yesterday.isoformat()}
    hq = api.as_hq()
    await api.execute(TRACK, events=[view(n, noon) for n in range(3)])
    first = await hq.execute(TRAFFIC, range=day)  # builds the rollups from the 3 stored events
    assert first.data["metrics"]["traffic"]["pv"]["value"] == 3
    more = [
        view(10, noon + timedelta(minutes=5), pageType="PRODUCT", productId=encode_id("Product", product.id)),
        view(11, noon + timedelta(minutes=6), source="QR_CODE"),
    ]
    await api.execute(TRACK, events=more)
    # Another range (the cache holds the first answer): yesterday and today, read from the rollups
    # the ingestion added to.
    two_days = {"from": yesterday.isoformat(), "to": (yesterday + timedelta(days=1)).isoformat()}
    m = (await hq.execute(TRAFFIC, range=two_days)).data["metrics"]
    assert (m["traffic"]["pv"]["value"], m["traffic"]["uv"]["value"]) == (5, 3)
    assert (m["products"]["productPv"]["value"], m["products"]["productsVisited"]["value"]) == (1, 1)
    assert m["sources"] == [
        {"source": "DIRECT", "visitors": 3, "pv": 4},
        {"source": "QR_CODE", "visitors": 1, "pv": 1},
    ]
