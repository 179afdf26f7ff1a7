"""Who may aggregate what: scope per role, masking, and refusal of over-wide groupings."""

from __future__ import annotations

import pytest

from gql.ids import decode_id
from models.enums import Role
from services.analytics import queries
from tests.api.analytics_shop import shop
from tests.api.conftest import Api
from tests.factories import Seed

BY_STORE = """query ($q: String) {
  orderAggregate(groupBy: [STORE], measures: [COUNT, PAID_AMOUNT_SUM], query: $q) {
    groupCount rows { keys { value store { code } } values { measure value money { cents } } }
    totals { value money { cents amount } }
  }
}"""


async def _codes(api: Api, query: str = "") -> set[str | None]:
    r = await api.execute(BY_STORE, q=query)
    assert r.errors == [], r.errors
    return {
        row["keys"][0]["store"] and row["keys"][0]["store"]["code"]
        for row in r.data["orderAggregate"]["rows"]
    }


async def test_each_role_aggregates_the_orders_its_list_shows(api: Api, seed: Seed) -> None:
    await shop(seed)
    every = {"SH001", "SH002", "HZ001", None}  # None: the HQ warehouse
    assert await _codes(api.as_hq()) == every
    assert await _codes(api.as_role(Role.ANALYST)) == every
    stores = (await api.as_hq().execute("{ stores(first: 10) { edges { node { id code } } } }")).data
    sh002 = next(e["node"]["id"] for e in stores["stores"]["edges"] if e["node"]["code"] == "SH002")
    staff = api.as_staff(decode_id(sh002, "Store", "id"))
    assert await _codes(staff) == {"SH002"}
    assert await _codes(staff, "store:SH001") == set()
    listed = await staff.execute("{ orders(first: 100) { totalCount } }")
    counted = await staff.execute(BY_STORE, q="")
    assert (
        counted.data["orderAggregate"]["rows"][0]["values"][0]["value"] == listed.data["orders"]["totalCount"]
    )


async def test_shoppers_and_anonymous_callers_are_refused(api: Api, seed: Seed) -> None:
    customer = await seed.customer()
    assert (await api.as_shopper(customer.id).execute(BY_STORE)).error_codes == ["FORBIDDEN"]
    assert (await api.execute(BY_STORE)).error_codes == ["UNAUTHENTICATED"]


async def test_analysts_may_not_probe_phones(api: Api, seed: Seed) -> None:
    await shop(seed)
    r = await api.as_role(Role.ANALYST).execute(BY_STORE, q="phone:0001")
    assert r.error_codes == ["FORBIDDEN"]
    assert (await api.as_hq().execute(BY_STORE, q="phone:0001")).errors == []


async def test_an_unknown_store_code_is_an_error_as_in_the_list(api: Api, seed: Seed) -> None:
    await shop(seed)
    r = await api.as_hq().execute(BY_STORE, q="store:NOPE01")
    assert r.error_codes == ["INVALID_QUERY_SYNTAX"]
    assert "NOPE01" in r.errors[0]["message"]
    assert (await api.as_hq().execute(BY_STORE, q="store:SH001")).errors == []


async def test_money_is_exact_cents_and_totals_cover_every_group(api: Api, seed: Seed) -> None:
    await shop(seed)
    r = await api.as_hq().execute(BY_STORE)
    agg = r.data["orderAggregate"]
    sums = [row["values"][1]["money"]["cents"] for row in agg["rows"]]
    assert sum(sums) == agg["totals"][1]["money"]["cents"] == agg["totals"][1]["value"]
    assert agg["totals"][1]["money"]["amount"] == f"{agg['totals'][1]['money']['cents'] / 100:.2f}"


async def test_over_wide_groupings_are_refused_with_a_stable_code(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    await shop(seed)
    hq = api.as_hq()
    too_many = await hq.execute("{ orderAggregate(measures: [COUNT], top: 1001) { groupCount } }")
    assert too_many.error_codes == ["TOO_MANY_GROUPS"]
    assert too_many.data is None  # refused at validation, before anything ran
    monkeypatch.setattr(queries, "DEFAULT_TOP", 3)
    wide = await hq.execute("{ orderAggregate(measures: [COUNT], groupBy: [STORE, DAY]) { groupCount } }")
    assert wide.error_codes == ["TOO_MANY_GROUPS"]
    kept = await hq.execute(
        """{ orderAggregate(measures: [COUNT], groupBy: [STORE, DAY], top: 3,
             sort: [{ measure: COUNT }]) { groupCount rows { values { value } } } }"""
    )
    agg = kept.data["orderAggregate"]
    counts = [row["values"][0]["value"] for row in agg["rows"]]
    assert len(counts) == 3 < agg["groupCount"]
    assert counts == sorted(counts, reverse=True)


async def test_malformed_questions_name_their_argument(api: Api, seed: Seed) -> None:
    hq = api.as_hq()
    lines_only = await hq.execute("{ orderAggregate(measures: [COUNT], groupBy: [SKU]) { groupCount } }")
    assert lines_only.error_codes == ["BAD_USER_INPUT"]
    twice = await hq.execute("{ orderAggregate(measures: [COUNT, COUNT]) { groupCount } }")
    assert twice.error_codes == ["BAD_USER_INPUT"]
    unsorted = await hq.execute(
        "{ orderAggregate(measures: [COUNT], groupBy: [DAY], sort: [{ dimension: STORE }]) { groupCount } }"
    )
    assert unsorted.error_codes == ["BAD_USER_INPUT"]


async def test_entities_expand_through_the_loaders(api: Api, seed: Seed) -> None:
    await shop(seed)
    r = await api.as_role(Role.ANALYST).execute(
        """{ orderLineAggregate(measures: [UNITS, PAID_AMOUNT_SUM], groupBy: [CATEGORY_L1, PRODUCT],
               having: [{ measure: UNITS, comparison: GT, value: 0 }]) {
             rows { keys { dimension label category { name } product { name } } } } }"""
    )
    assert r.errors == []
    rows = r.data["orderLineAggregate"]["rows"]
    assert {row["keys"][0]["category"]["name"] for row in rows} == {"水果"}
    assert {row["keys"][1]["product"]["name"] for row in rows} == {"车厘子", "苹果"}
    # a key expands only its own dimension's entity; the other fields are null
    assert all(row["keys"][0]["product"] is None and row["keys"][1]["category"] is None for row in rows)


async def test_after_sales_follow_their_list_filter_and_their_orders_scope(api: Api, seed: Seed) -> None:
    await shop(seed)
    doc = """query ($f: AfterSaleFilter, $q: String) {
      afterSaleAggregate(filter: $f, query: $q, groupBy: [REASON, CATEGORY_L1, STORE],
                         measures: [REFUND_AMOUNT_SUM, DISTINCT_AFTER_SALES], top: 500) {
        groupCount rows { keys { value store { code } } values { value } } totals { value }
      }
    }"""
    listed = await api.as_hq().execute(
        "{ afterSales(first: 100, filter: { status: [REFUNDED] }) { totalCount } }"
    )
    refunded = await api.as_hq().execute(doc, f={"status": ["REFUNDED"]}, q="")
    agg = refunded.data["afterSaleAggregate"]
    assert agg["totals"][1]["value"] == listed.data["afterSales"]["totalCount"]
    assert {row["keys"][0]["value"] for row in agg["rows"]} <= {"不想要了", "质量问题", "少件/漏发"}
    stores = (await api.as_hq().execute("{ stores(first: 10) { edges { node { id code } } } }")).data
    sh001 = next(e["node"]["id"] for e in stores["stores"]["edges"] if e["node"]["code"] == "SH001")
    staff = await api.as_staff(decode_id(sh001, "Store", "id")).execute(doc, f=None, q="")
    assert {row["keys"][2]["store"]["code"] for row in staff.data["afterSaleAggregate"]["rows"]} == {"SH001"}
    hz = await api.as_hq().execute(doc, f=None, q="province:浙江省")
    assert {row["keys"][2]["store"]["code"] for row in hz.data["afterSaleAggregate"]["rows"]} == {"HZ001"}


async def test_moments_and_dimensions_of_another_fact_are_refused(api: Api, seed: Seed) -> None:
    hq = api.as_hq()
    moment = await hq.execute("{ orderAggregate(measures: [COUNT], timeField: REQUESTED_AT) { groupCount } }")
    assert moment.error_codes == ["BAD_USER_INPUT"]
    reason = await hq.execute("{ orderLineAggregate(measures: [UNITS], groupBy: [REASON]) { groupCount } }")
    assert reason.error_codes == ["BAD_USER_INPUT"]
    assert "afterSaleAggregate" in reason.errors[0]["message"]


async def test_visits_are_scoped_to_the_staff_stores_and_filtered(api: Api, seed: Seed) -> None:
    await shop(seed)
    doc = """query ($f: VisitFilter) {
      visitAggregate(filter: $f, groupBy: [STORE, PAGE_TYPE], measures: [COUNT, VISITORS], top: 500) {
        rows { keys { value store { code } } values { value } } totals { value }
      }
    }"""
    every = (await api.as_role(Role.ANALYST).execute(doc, f=None)).data["visitAggregate"]
    stores = (await api.as_hq().execute("{ stores(first: 10) { edges { node { id code } } } }")).data
    sh001 = next(e["node"]["id"] for e in stores["stores"]["edges"] if e["node"]["code"] == "SH001")
    staff = (await api.as_staff(decode_id(sh001, "Store", "id")).execute(doc, f=None)).data["visitAggregate"]
    assert {row["keys"][0]["store"]["code"] for row in staff["rows"]} == {"SH001"}
    assert 0 < staff["totals"][0]["value"] < every["totals"][0]["value"]
    homes = (await api.as_hq().execute(doc, f={"pageTypes": ["HOME"], "storeIds": [sh001]})).data
    assert {row["keys"][1]["value"] for row in homes["visitAggregate"]["rows"]} <= {"HOME"}
    assert {row["keys"][0]["value"] for row in homes["visitAggregate"]["rows"]} <= {sh001}
