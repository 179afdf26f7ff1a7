"""Bulk export as a job: what a user starts, watches and downloads, checked against the list itself.

An export holds exactly the rows the caller's order list shows for the same filter and query, with
phones and addresses masked as that caller sees them in GraphQL; a filter matching nothing gives
a header-only file; links are signed, expire and are shown to the job's owner only.
"""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from gql.ids import decode_id
from gql.resolvers.exports import export_config
from models.enums import Fulfillment, PaymentMethod, Role
from models.exports import ExportFormat, ExportJob, ExportList, ExportState
from models.orders.states import OrderStatus
from models.pii import mask_address, mask_phone
from services.exports.jobs import download_query
from services.exports.runner import kick, run_next
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

START = """
mutation($input: StartExportInput!) {
  startExport(input: $input) { export { id state list format columns } userErrors { code field message } }
}
"""
JOB = """
query($id: ID!) {
  export(id: $id) { id state rowsDone rowsTotal attempt error columns fileName downloadUrl expiresAt }
}
"""
LIST = """
query($filter: OrderFilter, $q: String, $after: String) {
  orders(first: 2, filter: $filter, query: $q, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { orderNo status paidAmount { amount } createdAt consignee { phone address } } }
  }
}
"""
ADDRESS = "世纪大道100号3栋502室"


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Export files go to the test's own folder (the `api` fixture reads settings after this)."""
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


@dataclass
class Shop:
    sh: int
    bj: int
    order_nos: dict[str, int]
    """order number → store id"""


@pytest.fixture
async def shop(seed: Seed) -> Shop:
    sh, bj = await seed.store("SH001"), await seed.store("BJ001")
    alice, bob = await seed.customer("13811112222"), await seed.customer("13933334444")
    _, skus = await seed.product("车厘子", prices=(1999, 500))
    order_nos: dict[str, int] = {}
    t0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    for i in range(7):
        store, customer = (sh, alice) if i % 3 else (bj, bob)
        order = await seed.order(
            store,
            customer,
            [(skus[0], 1 + i % 2), (skus[1], 1)],
            status=OrderStatus.PENDING_SHIPMENT,
            fulfillment=Fulfillment.STORE_DELIVERY,
            created_at=t0 + timedelta(hours=i),
            payment_method=PaymentMethod.WECHAT_PAY,
            consignee_phone="13800138000",
            consignee_address=ADDRESS,
        )
        order_nos[order.order_no] = store.id
    return Shop(sh.id, bj.id, order_nos)


async def start(api: Api, **input: Any) -> dict[str, Any]:
    r = await api.execute(START, input={"list": "ORDERS", **input})
    assert not r.errors, r.errors
    payload = r.data["startExport"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["export"]  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def worker(monkeypatch: pytest.MonkeyPatch, db: Database) -> Worker:
    """Jobs run when a test says so (as another process's worker would), not in the background.

    Reading a job while it runs in the background would let the two executions of one request
    (the `executors_agree` check) see different states; `test_a_started_export_runs_at_once`
    covers the background start.
    """
    monkeypatch.setattr("gql.resolvers.exports.kick", lambda *_: None)
    return Worker(db)


@dataclass
class Worker:
    db: Database

    async def drain(self, api: Api) -> None:
        config = export_config(api.settings)
        while await run_next(self.db.sessions, config):
            pass


async def read(api: Api, job_id: str) -> dict[str, Any]:
    r = await api.execute(JOB, id=job_id)
    assert not r.errors, r.errors
    return r.data["export"]  # type: ignore[no-any-return]


async def finished(api: Api, job_id: str, worker: Worker) -> dict[str, Any]:
    await worker.drain(api)
    return await read(api, job_id)


async def download(api: Api, job: dict[str, Any]) -> bytes:
    r = await api.http.get(job["downloadUrl"])
    assert r.status_code == 200, r.text
    return r.content


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def listed(api: Api, **variables: Any) -> list[dict[str, Any]]:
    """Every order of the list, page by page, as a client pages through it."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        r = await api.execute(LIST, after=after, **variables)
        assert not r.errors, r.errors
        page = r.data["orders"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def as_exported(node: dict[str, Any]) -> dict[str, str]:
    """A list node as the export's cells of the same columns."""
    return {
        "order_no": node["orderNo"],
        "status": node["status"],
        "paid_amount": node["paidAmount"]["amount"],
        "consignee_phone": node["consignee"]["phone"],
        "consignee_address": node["consignee"]["address"] or "",
    }


COMPARED = ["ORDER_NO", "STATUS", "PAID_AMOUNT", "CONSIGNEE_PHONE", "CONSIGNEE_ADDRESS", "CREATED_AT"]


@pytest.mark.parametrize(
    ("role", "query"),
    [(Role.HQ_ADMIN, "store:SH001,BJ001"), (Role.STORE_STAFF, None), (Role.ANALYST, "-store:BJ001")],
)
async def test_an_export_holds_what_paging_through_the_list_shows(
    api: Api, shop: Shop, worker: Worker, role: Role, query: str | None
) -> None:
    caller = api.as_staff(shop.sh) if role is Role.STORE_STAFF else api.as_role(role)
    job = await start(caller, query=query, orderColumns=COMPARED)
    assert (job["state"], job["list"]) == ("QUEUED", "ORDERS")
    done = await finished(caller, job["id"], worker)
    assert done["state"] == "SUCCEEDED", done
    rows = csv_rows(await download(caller, done))
    pages = await listed(caller, q=query)
    assert done["rowsDone"] == done["rowsTotal"] == len(pages) == len(rows) > 0
    assert done["columns"] == [c.lower() for c in COMPARED]
    exported = {r["order_no"]: {k: v for k, v in r.items() if k != "created_at"} for r in rows}
    assert exported == {n["orderNo"]: as_exported(n) for n in pages}
    for row in rows:  # ISO-8601 in the business time zone, with its offset
        assert row["created_at"].endswith("+08:00"), row["created_at"]
    if role is Role.ANALYST:
        assert {r["consignee_phone"] for r in rows} == {mask_phone("13800138000")}
        assert {r["consignee_address"] for r in rows} == {mask_address(ADDRESS)}
    else:
        assert {r["consignee_phone"] for r in rows} == {"13800138000"}
    if role is Role.STORE_STAFF:
        assert {shop.order_nos[r["order_no"]] for r in rows} == {shop.sh}


async def test_a_filter_matching_nothing_gives_a_header_only_file(
    api: Api, shop: Shop, worker: Worker
) -> None:
    hq = api.as_hq()
    job = await start(hq, format="CSV", filter={"orderNo": "0000"}, orderColumns=["ORDER_NO", "PAID_AMOUNT"])
    done = await finished(hq, job["id"], worker)
    assert (done["state"], done["rowsDone"], done["rowsTotal"]) == ("SUCCEEDED", 0, 0)
    body = await download(hq, done)
    assert body.decode("utf-8-sig") == "order_no,paid_amount\r\n"
    assert done["fileName"].startswith("orders-")
    assert done["fileName"].endswith(".csv")


async def test_order_lines_as_ndjson_with_money_in_yuan(api: Api, shop: Shop, worker: Worker) -> None:
    hq = api.as_hq()
    job = await start(hq, list="ORDER_LINES", format="NDJSON", query="store:BJ001")
    done = await finished(hq, job["id"], worker)
    lines = [orjson.loads(line) for line in (await download(hq, done)).splitlines()]
    bj_orders = {no for no, store in shop.order_nos.items() if store == shop.bj}
    assert {line["order_no"] for line in lines} == bj_orders
    assert len(lines) == 2 * len(bj_orders) == done["rowsTotal"]
    assert {line["unit_price"] for line in lines} == {"19.99", "5.00"}
    assert list(lines[0]) == done["columns"]
    assert lines[0]["is_gift"] == "false"


async def test_who_may_export_and_see_the_link(api: Api, shop: Shop, worker: Worker) -> None:
    r = await api.as_shopper(1).execute(START, input={"list": "ORDERS"})
    assert r.error_codes == ["FORBIDDEN"]
    r = await api.execute(START, input={"list": "ORDERS"})
    assert r.error_codes == ["UNAUTHENTICATED"]
    analyst = api.as_role(Role.ANALYST)
    r = await analyst.execute(START, input={"list": "ORDERS", "filter": {"phone": "1234"}})
    assert r.data["startExport"]["userErrors"][0]["code"] == "FORBIDDEN"
    r = await analyst.execute(START, input={"list": "ORDERS", "orderLineColumns": ["SPEC"]})
    assert r.data["startExport"]["userErrors"][0]["field"] == ["input", "orderLineColumns"]
    r = await analyst.execute(START, input={"list": "ORDERS", "query": "status:"})
    assert r.data["startExport"]["userErrors"][0]["code"] == "INVALID_QUERY_SYNTAX"
    r = await analyst.execute(START, input={"list": "ORDERS", "query": "store:NOPE01"})
    assert r.data["startExport"]["userErrors"][0]["code"] == "INVALID_QUERY_SYNTAX"
    r = await analyst.execute(START, input={"list": "ORDERS", "filter": {"storeCodes": ["NOPE01"]}})
    assert r.data["startExport"]["userErrors"][0]["code"] == "BAD_USER_INPUT"

    job = await start(api.as_staff(shop.sh))
    done = await finished(api.as_staff(shop.sh), job["id"], worker)
    assert (await api.as_staff(shop.bj).execute(JOB, id=job["id"])).data == {"export": None}
    assert (await analyst.execute(JOB, id=job["id"])).data == {"export": None}
    by_hq = (await api.as_hq().execute(JOB, id=job["id"])).data["export"]
    assert by_hq["state"] == "SUCCEEDED"
    assert by_hq["downloadUrl"]
    assert done["downloadUrl"] is not None


async def test_links_are_signed_and_expire(api: Api, shop: Shop, worker: Worker) -> None:
    hq = api.as_hq()
    done = await finished(hq, (await start(hq))["id"], worker)
    url = done["downloadUrl"]
    r = await api.http.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="orders-' in r.headers["content-disposition"]
    assert (await api.http.get(url[:-1] + ("0" if url[-1] != "0" else "1"))).status_code == 403
    path, _, _ = url.partition("?")
    assert (await api.http.get(f"{path}?expires=1&sig=00")).status_code == 403
    assert (await api.http.get(path)).status_code == 403
    job_id = decode_id(done["id"], "ExportJob")
    other = path.replace(f"/exports/{job_id}/", f"/exports/{job_id + 1}/")
    assert (await api.http.get(other + "?" + url.partition("?")[2])).status_code == 403

    queued = decode_id((await start(hq))["id"], "ExportJob")  # a valid link to a file not written yet
    config = export_config(api.settings)
    link = f"/exports/{queued}/download?{download_query(config, ExportJob(id=queued), datetime.now(UTC))}"
    assert (await api.http.get(link)).status_code == 404


async def test_each_caller_has_a_few_open_exports_at_most(api: Api, shop: Shop, db: Database) -> None:
    staff = api.as_staff(shop.sh)
    key = f"STORE_STAFF:test-store_staff-{shop.sh}"
    async with db.sessions() as session:  # two exports another process is running for this caller
        for _ in range(2):
            session.add(
                ExportJob(
                    owner_key=key,
                    owner_role=Role.STORE_STAFF,
                    owner_store_ids=[shop.sh],
                    list_kind=ExportList.ORDERS,
                    format=ExportFormat.CSV,
                    columns=["ORDER_NO"],
                    criteria={"filter": None, "query": None},
                    state=ExportState.RUNNING,
                    heartbeat_at=datetime.now(UTC),
                )
            )
        await session.commit()
    r = await staff.execute(START, input={"list": "ORDERS"})
    assert [e["code"] for e in r.data["startExport"]["userErrors"]] == ["THROTTLED"]
    await start(api.as_staff(shop.bj))  # someone else is not held up


async def test_a_started_export_runs_at_once(
    api: Api, shop: Shop, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gql.resolvers.exports.kick", kick)
    hq = api.as_hq()
    job = await start(hq, query="store:SH001")
    for _ in range(200):
        async with db.sessions() as session:
            row = await session.get(ExportJob, decode_id(job["id"], "ExportJob"))
        if row is not None and row.state is ExportState.SUCCEEDED:
            break
        await asyncio.sleep(0.05)
    done = await read(hq, job["id"])
    assert done["state"] == "SUCCEEDED"
    assert len(csv_rows(await download(hq, done))) == done["rowsTotal"] == 4
