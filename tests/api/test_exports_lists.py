"""Exports of the after-sale, customer and visit lists, checked against the lists themselves.

After-sales and customers: the file holds exactly what paging the GraphQL list shows for the same
filter, per role (HQ, a store's staff, an analyst), masked as that role sees the list. Visits have
no list: HQ and analysts export every store's page views, staff their stores'. A filter matching
nothing gives a header-only file; a filter of another list is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from gql.ids import encode_id
from models.after_sales.states import AfterSaleStatus
from models.enums import PageType, Role, SourceChannel
from models.orders.states import OrderStatus
from models.pii import mask_phone
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.api.test_exports import START, Worker, csv_rows, download, finished, start
from tests.conftest import Database
from tests.factories import Seed

AFTER_SALES = """
query($f: AfterSaleFilter, $after: String) {
  afterSales(filter: $f, first: 2, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { afterSaleNo status type refundAmount { amount } store { code }
                   order { orderNo consignee { phone } } } }
  }
}
"""
CUSTOMERS = """
query($f: CustomerFilter, $after: String) {
  customers(filter: $f, first: 2, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { nickname phone memberLevel points isNew lifecycleSegment } }
  }
}
"""
T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


@pytest.fixture(autouse=True)
def worker(monkeypatch: pytest.MonkeyPatch, db: Database) -> Worker:
    """Jobs run when a test drains them, as another process's worker would (see test_exports.py)."""
    monkeypatch.setattr("gql.resolvers.exports.kick", lambda *_: None)
    return Worker(db)


@dataclass
class Shop:
    sh: int
    bj: int
    sh_gid: str


@pytest.fixture
async def shop(seed: Seed) -> Shop:
    """Two stores; orders with after-sales at both; a customer without orders; page views at
    each store and one without a store."""
    sh, bj = await seed.store("SH001"), await seed.store("BJ001")
    _, skus = await seed.product("车厘子", prices=(1999,))
    alice = await seed.customer("13811112222", nickname="alice")
    bob = await seed.customer("13933334444", nickname="bob")
    await seed.customer("13755556666", nickname="carol")
    for i in range(5):
        store, customer = (sh, alice) if i % 2 else (bj, bob)
        order = await seed.order(
            store,
            customer,
            [(skus[0], 1)],
            status=OrderStatus.COMPLETED,
            created_at=T0 + timedelta(hours=i),
            paid_at=T0 + timedelta(hours=i, minutes=1),
            consignee_phone="13800138000",
        )
        status = AfterSaleStatus.PENDING_REVIEW if i < 3 else AfterSaleStatus.REFUNDED
        await seed.after_sale(order, status)
    stores: list[Store | None] = [sh, sh, bj, None]
    for i, at in enumerate(stores):
        await seed.visit(f"v{i}", T0 + timedelta(minutes=i), store=at, source=SourceChannel.SHARE)
    return Shop(sh.id, bj.id, encode_id("Store", sh.id))


def caller(api: Api, shop: Shop, role: Role) -> Api:
    return api.as_staff(shop.sh) if role is Role.STORE_STAFF else api.as_role(role)


async def paged(api: Api, document: str, field: str, f: dict[str, Any] | None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        r = await api.execute(document, f=f, after=after)
        assert not r.errors, r.errors
        page = r.data[field]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def exported(api: Api, worker: Worker, **input: Any) -> list[dict[str, str]]:
    job = await start(api, **input)
    done = await finished(api, job["id"], worker)
    assert done["state"] == "SUCCEEDED", done
    rows = csv_rows(await download(api, done))
    assert done["rowsDone"] == done["rowsTotal"] == len(rows)
    return rows


ROLES = [Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("f", [None, {"status": ["PENDING_REVIEW"]}])
async def test_after_sales_export_is_the_list(
    api: Api, shop: Shop, worker: Worker, role: Role, f: dict[str, Any] | None
) -> None:
    who = caller(api, shop, role)
    columns = [
        "AFTER_SALE_NO",
        "ORDER_NO",
        "STORE_CODE",
        "STATUS",
        "TYPE",
        "REFUND_AMOUNT",
        "CONSIGNEE_PHONE",
    ]
    rows = await exported(who, worker, list="AFTER_SALES", afterSaleFilter=f, afterSaleColumns=columns)
    nodes = await paged(who, AFTER_SALES, "afterSales", f)
    assert len(rows) == len(nodes) > 0
    assert {r["after_sale_no"]: r for r in rows} == {
        n["afterSaleNo"]: {
            "after_sale_no": n["afterSaleNo"],
            "order_no": n["order"]["orderNo"],
            "store_code": n["store"]["code"],
            "status": n["status"],
            "type": n["type"],
            "refund_amount": n["refundAmount"]["amount"],
            "consignee_phone": n["order"]["consignee"]["phone"],
        }
        for n in nodes
    }
    phones = {r["consignee_phone"] for r in rows}
    assert phones == ({mask_phone("13800138000")} if role is Role.ANALYST else {"13800138000"})
    if role is Role.STORE_STAFF:
        assert {r["store_code"] for r in rows} == {"SH001"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("f", [None, {"nickname": "a"}])
async def test_customers_export_is_the_list(
    api: Api, shop: Shop, worker: Worker, role: Role, f: dict[str, Any] | None
) -> None:
    who = caller(api, shop, role)
    rows = await exported(who, worker, list="CUSTOMERS", customerFilter=f, format="CSV")
    nodes = await paged(who, CUSTOMERS, "customers", f)
    assert len(rows) == len(nodes) > 0
    by_name = {r["nickname"]: r for r in rows}
    for n in nodes:
        row = by_name[n["nickname"]]
        assert row["phone"] == n["phone"]
        assert row["member_level"] == n["memberLevel"]
        assert row["points"] == str(n["points"])
        assert row["is_new"] == ("true" if n["isNew"] else "false")
        assert row["lifecycle_segment"] == n["lifecycleSegment"]
    if role is Role.ANALYST:
        assert all("****" in r["phone"] for r in rows)
    if role is Role.STORE_STAFF:
        assert set(by_name) == {"alice"}


@pytest.mark.parametrize(
    ("role", "codes"),
    [
        (Role.HQ_ADMIN, {"SH001", "BJ001", ""}),
        (Role.ANALYST, {"SH001", "BJ001", ""}),
        (Role.STORE_STAFF, {"SH001"}),
    ],
)
async def test_visits_are_scoped_by_store(
    api: Api, shop: Shop, worker: Worker, role: Role, codes: set[str]
) -> None:
    who = caller(api, shop, role)
    job = await start(who, list="VISITS", format="NDJSON")
    done = await finished(who, job["id"], worker)
    lines = [orjson.loads(line) for line in (await download(who, done)).splitlines()]
    assert {line["store_code"] or "" for line in lines} == codes
    assert len(lines) == done["rowsTotal"] == (2 if role is Role.STORE_STAFF else 4)
    assert list(lines[0]) == done["columns"]
    assert {(line["source"], line["page_type"]) for line in lines} == {("SHARE", PageType.HOME.value)}
    assert lines[0]["occurred_at"].endswith("+08:00")
    rows = await exported(who, worker, list="VISITS", visitFilter={"storeIds": [shop.sh_gid]})
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("kind", "input"),
    [
        ("AFTER_SALES", {"afterSaleFilter": {"orderNo": "0000"}}),
        ("CUSTOMERS", {"customerFilter": {"nickname": "nobody"}}),
        (
            "VISITS",
            {"visitFilter": {"occurredAt": {"from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"}}},
        ),
    ],
)
async def test_a_filter_matching_nothing_gives_a_header_only_file(
    api: Api, shop: Shop, worker: Worker, kind: str, input: dict[str, Any]
) -> None:
    hq = api.as_hq()
    job = await start(hq, list=kind, **input)
    done = await finished(hq, job["id"], worker)
    assert (done["state"], done["rowsDone"], done["rowsTotal"]) == ("SUCCEEDED", 0, 0)
    body = (await download(hq, done)).decode("utf-8-sig")
    assert body == ",".join(done["columns"]) + "\r\n"
    assert done["fileName"].startswith(kind.lower().replace("_", "-") + "-")


async def test_another_lists_filter_or_columns_are_refused(api: Api, shop: Shop) -> None:
    hq, analyst = api.as_hq(), api.as_role(Role.ANALYST)
    for who, input, code, field in [
        (hq, {"list": "CUSTOMERS", "filter": {"orderNo": "1"}}, "BAD_USER_INPUT", "filter"),
        (hq, {"list": "VISITS", "query": "status:COMPLETED"}, "BAD_USER_INPUT", "query"),
        (hq, {"list": "ORDERS", "visitFilter": {}}, "BAD_USER_INPUT", "visitFilter"),
        (hq, {"list": "AFTER_SALES", "customerColumns": ["PHONE"]}, "BAD_USER_INPUT", "customerColumns"),
        (analyst, {"list": "CUSTOMERS", "customerFilter": {"phone": "2222"}}, "FORBIDDEN", None),
    ]:
        r = await who.execute(START, input=input)
        assert not r.errors, r.errors
        errors = r.data["startExport"]["userErrors"]
        assert [e["code"] for e in errors] == [code], (input, errors)
        if field is not None:
            assert errors[0]["field"] == ["input", field]
