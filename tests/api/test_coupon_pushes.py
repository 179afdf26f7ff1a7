"""发券 end to end: a push job per target kind with its counts, bad input, restart and resume, and
扫码领券 through a store's signed claim link."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.base import utcnow
from models.coupons.pushes import CouponPushRecipient
from models.coupons.rows import CouponLedger, CustomerCoupon
from models.coupons.rules import CouponIssueCause
from models.orders.states import OrderStatus
from services.commands import Deps
from services.coupons import pushes
from tests.api.conftest import Api
from tests.api.coupon_flow import claim, claimed, create_template, store_gid
from tests.api.coupon_ops_flow import (
    CLAIM_BY_LINK,
    CLAIM_LINK,
    ISSUED_BY,
    JOB,
    START_PUSH,
    customer_gids,
    payload,
)
from tests.api.order_flow import key, refused
from tests.conftest import Database
from tests.factories import T0, Seed


@pytest.fixture(autouse=True)
def no_background(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run the jobs themselves, step by step."""
    monkeypatch.setattr("services.coupons.pushes.kick", lambda deps: None)


async def _start(api: Api, template_id: str, target: Mapping[str, object], who: Api | None = None) -> str:
    r = await (who or api.as_hq()).execute(
        START_PUSH, input={"templateId": template_id, "target": target, "idempotencyKey": key()}
    )
    job = payload(r, "startCouponPush")["job"]
    assert job["state"] == "QUEUED"
    return str(job["id"])


async def _job(api: Api, job_id: str) -> dict[str, object]:
    return dict((await api.as_hq().execute(JOB, id=job_id)).data["couponPushJob"])


async def _held(db: Database) -> Counter[int]:
    async with db.sessions() as s:
        rows = (await s.scalars(select(CustomerCoupon.customer_id))).all()
    return Counter(rows)


async def test_push_to_customers_counts_every_outcome(api: Api, seed: Seed, db: Database) -> None:
    template = await create_template(api, totalStock=3, perCustomerLimit=1)
    has, spent, fresh, late = [(await seed.customer()).id for _ in range(4)]
    claimed(await claim(api, has, template["id"]))  # holds an unused one
    used = claimed(await claim(api, spent, template["id"]))
    await api.as_hq().execute(
        "mutation($i: VoidCouponInput!) { voidCoupon(input: $i) { userErrors { code } } }",
        i={"couponId": used["id"], "reason": "test", "idempotencyKey": key()},
    )
    job_id = await _start(api, template["id"], {"customerIds": customer_gids(has, spent, fresh, late)})
    deps = Deps(db.sessions, api.gateway)
    assert await pushes.run_next(deps) is True
    assert await pushes.run_next(deps) is False
    job = await _job(api, job_id)
    assert job["state"] == "SUCCEEDED"
    assert (job["targeted"], job["issued"], job["done"]) == (4, 1, 4)
    assert job["skipped"] == {"alreadyHas": 1, "limit": 1, "stock": 1}  # the 3rd unit went to `fresh`
    assert await _held(db) == Counter({has: 1, spent: 1, fresh: 1})
    async with db.sessions() as s:
        causes = (await s.scalars(select(CustomerCoupon.issue_cause))).all()
    assert Counter(causes) == Counter({CouponIssueCause.CLAIM: 2, CouponIssueCause.PUSH: 1})
    figures = (await api.as_hq().execute(ISSUED_BY, id=template["id"])).data["couponTemplate"]["figures"]
    assert figures == {"issued": 3, "claimed": 2, "sold": 0, "pushed": 1}


async def test_push_by_criteria_and_by_radius(api: Api, seed: Seed, db: Database) -> None:
    north, south = await seed.store("SHN"), await seed.store("SHS")
    _, skus = await seed.product(prices=(1000,))
    regular, newbie, elsewhere, far = [await seed.customer() for _ in range(4)]
    for who, store, lat in ((regular, north, 31.2), (newbie, north, 31.21), (elsewhere, south, 31.2)):
        await seed.order(
            store,
            who,
            [(skus[0], 3)],
            status=OrderStatus.COMPLETED,
            consignee_latitude=lat,
            consignee_longitude=121.6,
        )
    await seed.order(south, far, [(skus[0], 1)], consignee_latitude=31.5, consignee_longitude=121.6)
    template = await create_template(api, type="STORE", storeIds=[store_gid(north.id)], totalStock=50)
    staff = api.as_staff(north.id)
    period = {"from": (T0 - timedelta(days=1)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    target = {"orderedWithin": {"storeIds": [store_gid(north.id)], "period": period}}
    by_store = await _start(api, template["id"], target, who=staff)
    spenders = await _start(api, template["id"], {"criteria": {"spent": {"min": 3000}}}, who=staff)
    near = await _start(api, template["id"], {"radius": {"storeId": store_gid(north.id), "radiusM": 2000}})
    deps = Deps(db.sessions, api.gateway)
    while await pushes.run_next(deps):
        pass
    jobs = [await _job(api, j) for j in (by_store, spenders, near)]
    assert [(j["state"], j["targeted"], j["issued"]) for j in jobs] == [
        ("SUCCEEDED", 2, 2),
        ("SUCCEEDED", 2, 0),  # staff see their store's customers only: regular and newbie, who hold one
        ("SUCCEEDED", 3, 1),  # regular, newbie (1.1 km) and elsewhere; far is 33 km away
    ]
    assert jobs[1]["skipped"] == {"alreadyHas": 2, "limit": 0, "stock": 0}
    assert await _held(db) == Counter({regular.id: 1, newbie.id: 1, elsewhere.id: 1})


async def test_push_refusals_have_their_codes(api: Api, seed: Seed, db: Database) -> None:
    mine, other = await seed.store("SHM"), await seed.store("SHO")
    hq_template = await create_template(api)
    own = await create_template(api, type="STORE", storeIds=[store_gid(mine.id)])
    someone = (await seed.customer()).id
    staff = api.as_staff(mine.id)
    cases = [
        (api.as_hq(), hq_template["id"], {}, "BAD_USER_INPUT"),
        (
            api.as_hq(),
            hq_template["id"],
            {"customerIds": customer_gids(someone), "radius": {"radiusM": 5}},
            "BAD_USER_INPUT",
        ),
        (api.as_hq(), hq_template["id"], {"customerIds": customer_gids(someone, 999_999)}, "NOT_FOUND"),
        (api.as_hq(), hq_template["id"], {"customerIds": []}, "BAD_USER_INPUT"),
        (
            api.as_hq(),
            hq_template["id"],
            {"radius": {"radiusM": 0, "latitude": 31.2, "longitude": 121.6}},
            "BAD_USER_INPUT",
        ),
        (
            api.as_hq(),
            hq_template["id"],
            {"radius": {"radiusM": 500, "latitude": 91, "longitude": 121.6}},
            "BAD_USER_INPUT",
        ),
        (api.as_hq(), hq_template["id"], {"radius": {"radiusM": 500, "latitude": 31.2}}, "BAD_USER_INPUT"),
        (staff, hq_template["id"], {"customerIds": customer_gids(someone)}, "FORBIDDEN"),
        (staff, own["id"], {"orderedWithin": {"storeIds": [store_gid(other.id)]}}, "FORBIDDEN"),
        (staff, own["id"], {"customerIds": customer_gids(someone)}, "NOT_FOUND"),  # not a customer of theirs
        (
            api.as_hq(),
            own["id"],
            {"orderedWithin": {"period": {"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}}},
            "BAD_USER_INPUT",
        ),
    ]
    for who, template_id, target, code in cases:
        r = await who.execute(START_PUSH, input={"templateId": template_id, "target": target})
        assert refused(r, "startCouponPush") == [code], target
    await api.as_hq().execute(
        "mutation($i: CouponTemplateIdInput!) { stopCouponTemplate(input: $i) { userErrors { code } } }",
        i={"templateId": hq_template["id"]},
    )
    r = await api.as_hq().execute(
        START_PUSH, input={"templateId": hq_template["id"], "target": {"customerIds": customer_gids(someone)}}
    )
    assert refused(r, "startCouponPush") == ["COUPON_UNAVAILABLE"]
    assert (await staff.execute(JOB, id="Q291cG9uUHVzaEpvYjox")).data == {"couponPushJob": None}
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(CouponPushRecipient)) == 0


async def test_a_dead_runner_is_taken_over_and_nothing_is_issued_twice(
    api: Api, seed: Seed, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pushes, "BATCH", 2)
    template = await create_template(api, totalStock=100)
    customers = [(await seed.customer()).id for _ in range(7)]
    job_id = await _start(api, template["id"], {"customerIds": customer_gids(*customers)})
    deps = Deps(db.sessions, api.gateway)
    now = utcnow()
    first = await pushes.claim_job(db.sessions, now)
    assert first is not None
    for _ in range(3):  # resolve, then two batches of two; then the process "dies"
        assert await pushes.run_step(deps, *first) is True
    assert (await _job(api, job_id))["done"] == 4
    assert await pushes.claim_job(db.sessions, now) is None  # its heartbeat is fresh: not taken over
    second = await pushes.claim_job(db.sessions, utcnow() + pushes.LEASE + timedelta(seconds=1))
    assert second == (first[0], 2)
    await pushes.run_job(deps, *first)  # the old runner wakes up: taken over, it stops at once
    await pushes.run_job(deps, *second)
    job = await _job(api, job_id)
    assert (job["state"], job["targeted"], job["issued"], job["done"]) == ("SUCCEEDED", 7, 7, 7)
    assert await _held(db) == Counter(dict.fromkeys(customers, 1))


async def test_claim_by_a_stores_qr_link(api: Api, seed: Seed, db: Database) -> None:
    store, other = await seed.store("SHQ"), await seed.store("SHR")
    template = await create_template(api, type="STORE", storeIds=[store_gid(store.id)])
    shopper = (await seed.customer()).id
    link = (await api.as_staff(store.id).execute(CLAIM_LINK, t=template["id"], s=store_gid(store.id))).data[
        "couponClaimLink"
    ]
    assert link["url"].startswith("https://m.mallgraph.example/coupons/claim?template=")
    png = await api.http.get(link["qrUrl"])
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert (await api.http.get(link["qrUrl"].replace(link["signature"], "0" * 32))).status_code == 404
    refused_link = await api.as_staff(store.id).execute(CLAIM_LINK, t=template["id"], s=store_gid(other.id))
    assert refused_link.error_codes == ["FORBIDDEN"]
    wrong_store = await api.as_hq().execute(CLAIM_LINK, t=template["id"], s=store_gid(other.id))
    assert wrong_store.error_codes == ["COUPON_NOT_APPLICABLE"]
    shop = api.as_shopper(shopper)
    claim_input = {"templateId": template["id"], "storeId": link["storeId"], "signature": link["signature"]}
    forged = await shop.execute(CLAIM_BY_LINK, input={**claim_input, "storeId": store_gid(other.id)})
    assert refused(forged, "claimCouponByLink") == ["BAD_USER_INPUT"]
    coupon = payload(await shop.execute(CLAIM_BY_LINK, input=claim_input), "claimCouponByLink")["coupon"]
    assert coupon["status"] == "UNUSED"
    again = await shop.execute(CLAIM_BY_LINK, input=claim_input)
    assert refused(again, "claimCouponByLink") == ["COUPON_LIMIT_REACHED"]
    async with db.sessions() as s:
        notes = (await s.scalars(select(CouponLedger.note))).all()
    assert notes == ["扫码领券 SHQ"]
