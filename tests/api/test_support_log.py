"""supportLog: what happened to a caller's orders and after-sales, found by their phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.enums import Role
from tests.api.after_sale_flow import REQUEST, ask, done, shipped_order
from tests.api.conftest import Api
from tests.api.order_flow import open_shop
from tests.factories import Seed

LOG = """query($phone: String!, $from: DateTime, $to: DateTime, $first: Int) {
  supportLog(phone: $phone, from: $from, to: $to, first: $first) {
    orderNo afterSaleNo action fromStatus toStatus actorType at } }"""


async def test_support_finds_the_steps_by_buyer_or_consignee_phone(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)  # buyer 13911112222, consignee 13800138000
    order = await shipped_order(api, shop)
    done(await api.as_shopper(shop.customer_id).execute(REQUEST, input=ask(order)), "requestAfterSale")
    hq = api.as_hq()

    r = await hq.execute(LOG, phone="13911112222")
    assert r.errors == []
    steps = [(e["afterSaleNo"] is not None, e["action"]) for e in r.data["supportLog"]]
    # the request and its note on the order share a moment: the order's own step comes first
    assert steps[:2] == [(False, None), (True, "REQUEST")]
    assert [a for is_after_sale, a in steps if not is_after_sale][1:] == ["SHIP", "ACCEPT_SHIP", "PAY", None]
    times = [e["at"] for e in r.data["supportLog"]]
    assert times == sorted(times, reverse=True)
    by_consignee = await hq.execute(LOG, phone="+86 138-0013-8000")
    assert by_consignee.data["supportLog"] == r.data["supportLog"]

    assert (await hq.execute(LOG, phone="13911112222", first=2)).data["supportLog"] == r.data["supportLog"][
        :2
    ]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await hq.execute(LOG, phone="13911112222", **{"from": later})).data["supportLog"] == []

    # the store's own staff see it, another store's staff nothing
    assert (await api.as_staff(shop.a.id).execute(LOG, phone="13911112222")).data["supportLog"] == r.data[
        "supportLog"
    ]
    assert (await api.as_staff(shop.b.id).execute(LOG, phone="13911112222")).data["supportLog"] == []
    assert (await hq.execute(LOG, phone="13900000000")).data["supportLog"] == []


async def test_a_partial_number_or_a_bad_bound_is_refused(api: Api, seed: Seed) -> None:
    await open_shop(seed)
    hq = api.as_hq()
    for variables in ({"phone": "2222"}, {"phone": "abc"}, {"phone": "13911112222", "first": 0}):
        assert (await hq.execute(LOG, **variables)).error_codes == ["BAD_USER_INPUT"]
    r = await hq.execute(
        LOG, phone="13911112222", **{"from": "2026-12-02T00:00:00", "to": "2026-12-01T00:00:00"}
    )
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert (await hq.execute(LOG, phone="13911112222", first=101)).error_codes == ["PAGE_SIZE_EXCEEDED"]
    assert (await api.as_role(Role.ANALYST).execute(LOG, phone="13911112222")).error_codes == ["FORBIDDEN"]
