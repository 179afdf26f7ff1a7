"""助力 end to end: start, share, helpers join (not the starter, not twice, in time), the N-th
completes it and the starter gets the coupon once; expired assists fail cleanly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from models.base import utcnow
from models.coupons.issues import CouponAssist
from models.coupons.rows import CouponTemplate
from tests.api.conftest import Api
from tests.api.coupon_flow import create_template
from tests.api.coupon_issue_flow import (
    ASSIST,
    MY_ASSISTS,
    OFFERS,
    RULES,
    codes,
    create_rule,
    held,
    join,
    payload,
    start,
    sweep,
)
from tests.conftest import Database
from tests.factories import Seed


async def _offer(api: Api, **overrides: Any) -> dict[str, Any]:
    template = await create_template(api, name="助力得5元", totalStock=overrides.pop("stock", 10))
    return await create_rule(
        api,
        "ASSIST",
        template["id"],
        helpersNeeded=overrides.pop("helpers", 3),
        assistHours=24,
        startsAt=(utcnow() - timedelta(hours=1)).isoformat(),
        **overrides,
    )


async def test_three_helpers_complete_an_assist(api: Api, seed: Seed, db: Database) -> None:
    rule = await _offer(api)
    starter, *helpers = [await seed.customer() for _ in range(5)]
    offers = payload(await api.as_shopper(starter.id).execute(OFFERS), "assistOffers")
    assert [(o["ruleId"], o["helpersNeeded"]) for o in offers] == [(rule["id"], 3)]
    started = (await start(api, starter.id, str(rule["id"])))["assist"]
    assert (started["status"], started["remaining"], started["startedByMe"]) == ("OPEN", 3, True)
    again = (await start(api, starter.id, str(rule["id"])))["assist"]
    assert again["id"] == started["id"]  # one open assist per rule and shopper
    assert codes(await join(api, starter.id, started["id"])) == ["ASSIST_OWN"]
    first = await join(api, helpers[0].id, started["id"])
    assert (first["assist"]["helperCount"], first["assist"]["helpedByMe"]) == (1, True)
    assert first["assist"]["coupon"] is None  # a helper never sees the starter's coupon
    assert codes(await join(api, helpers[0].id, started["id"])) == ["ASSIST_ALREADY_JOINED"]
    await join(api, helpers[1].id, started["id"])
    done = (await join(api, helpers[2].id, started["id"]))["assist"]
    assert (done["status"], done["helperCount"], done["remaining"]) == ("COMPLETED", 3, 0)
    assert codes(await join(api, helpers[3].id, started["id"])) == ["ASSIST_COMPLETED"]
    assert await held(db) == [(starter.id, "助力得5元")]
    mine = payload(await api.as_shopper(starter.id).execute(MY_ASSISTS), "myAssists")
    assert [(a["status"], a["coupon"]["status"]) for a in mine] == [("COMPLETED", "UNUSED")]
    assert [h["nickname"][-2:] for h in mine[0]["helpers"]] == ["**", "**", "**"]
    seen = payload(await api.as_shopper(helpers[0].id).execute(ASSIST, id=started["id"]), "assist")
    assert (seen["startedByMe"], seen["helpedByMe"], seen["coupon"]) == (False, True, None)
    # the template's per-customer limit (1) holds for assists too
    assert codes(await start(api, starter.id, str(rule["id"]))) == ["COUPON_LIMIT_REACHED"]
    figures = payload(await api.as_hq().execute(RULES, kind=["ASSIST"]), "couponIssueRules")
    assert figures["edges"][0]["node"]["figures"]["issued"] == 1
    assert figures["edges"][0]["node"]["figures"]["assistsCompleted"] == 1
    assert figures["edges"][0]["node"]["figures"]["assistsOpen"] == 0


async def test_expired_assists_fail_cleanly(api: Api, seed: Seed, db: Database) -> None:
    rule = await _offer(api, helpers=2)
    starter, helper, late = [await seed.customer() for _ in range(3)]
    assist = (await start(api, starter.id, str(rule["id"])))["assist"]
    await join(api, helper.id, assist["id"])
    async with db.sessions() as s, s.begin():
        await s.execute(update(CouponAssist).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert codes(await join(api, late.id, assist["id"])) == ["ASSIST_EXPIRED"]
    seen = payload(await api.as_shopper(starter.id).execute(ASSIST, id=assist["id"]), "assist")
    assert (seen["status"], seen["helperCount"]) == ("EXPIRED", 1)  # before the sweeper writes it
    reports = [await sweep(api, db, utcnow()) for _ in range(2)]
    assert [r.assists_expired for r in reports] == [1, 0]
    async with db.sessions() as s:
        row = (await s.scalars(select(CouponAssist))).one()
    assert (row.status.value, row.open_key) == ("EXPIRED", None)
    assert await held(db) == []
    renewed = (await start(api, starter.id, str(rule["id"])))["assist"]
    assert (renewed["status"], renewed["helperCount"]) == ("OPEN", 0)


async def test_start_refusals(api: Api, seed: Seed, db: Database) -> None:
    rule = await _offer(api, stock=1, helpers=1)
    first, second, helper = [await seed.customer() for _ in range(3)]
    assist = (await start(api, first.id, str(rule["id"])))["assist"]
    await join(api, helper.id, assist["id"])  # the one coupon of the stock goes to `first`
    assert codes(await start(api, second.id, str(rule["id"]))) == ["COUPON_OUT_OF_STOCK"]
    assert codes(await start(api, first.id, str(rule["id"]))) == ["COUPON_OUT_OF_STOCK"]
    assert codes(await start(api, first.id, "garbage")) == ["BAD_USER_INPUT"]
    other = await create_rule(api, "ON_REGISTRATION", (await create_template(api))["id"])
    assert codes(await start(api, first.id, str(other["id"]))) == ["NOT_FOUND"]
    assert codes(await join(api, first.id, "QXNzaXN0Ojk5OQ==")) == ["NOT_FOUND"]
    # stock raised but the template stopped meanwhile: a completed assist records the skip
    async with db.sessions() as s, s.begin():
        await s.execute(update(CouponTemplate).values(total_stock=5))
    late = (await start(api, second.id, str(rule["id"])))["assist"]
    async with db.sessions() as s, s.begin():
        await s.execute(update(CouponTemplate).values(stopped_at=utcnow()))
    done = (await join(api, helper.id, late["id"]))["assist"]
    assert (done["status"], done["coupon"], done["skipReason"]) == ("COMPLETED", None, "TEMPLATE_STOPPED")
