"""Product reviews (商品评价): once per completed line, replies, moderation, filters, ratings by loader."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.orders.states import OrderStatus
from models.reviews import Review
from services.db import count_statements
from tests.api.back_office import gid, key, mutation, payload, refusal
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import T0, Seed

REVIEW = "id rating content imageUrls reply hidden authorNickname product { name } store { code }"
CREATE = mutation("createReview", "CreateReviewInput", f"review {{ {REVIEW} }}")
REPLY = mutation("replyToReview", "ReplyToReviewInput", f"review {{ {REVIEW} }}")
HIDE = mutation("setReviewHidden", "SetReviewHiddenInput", f"review {{ {REVIEW} }}")
LIST = f"""query($f: ReviewFilter) {{ reviews(first: 20, filter: $f) {{
  totalCount edges {{ node {{ {REVIEW} }} }} }} }}"""


async def test_buyers_review_completed_lines_once(api: Api, seed: Seed, db: Database) -> None:
    store = await seed.store("SH001")
    buyer = await seed.customer(nickname="张三丰")
    stranger = await seed.customer()
    _, skus = await seed.product("车厘子", prices=(5990, 9990))
    done = await seed.order(store, buyer, [(skus[0], 1), (skus[1], 1)], status=OrderStatus.COMPLETED)
    shipped = await seed.order(store, buyer, [(skus[0], 1)], status=OrderStatus.SHIPPED)
    line, second_line = await seed.lines_of(done)
    [shipped_line] = await seed.lines_of(shipped)
    shopper = api.as_shopper(buyer.id)

    def review(line_id: int, **kw: object) -> dict[str, object]:
        return {"orderLineId": gid("OrderLine", line_id), "rating": 5, "idempotencyKey": key(), **kw}

    r = await shopper.execute(
        CREATE, input=review(line.id, content=" 很甜，个大 ", imageUrls=["https://img.example/a.jpg"])
    )
    created = payload(r, "createReview")["review"]
    assert (created["content"], created["product"], created["store"]) == (
        "很甜，个大",
        {"name": "车厘子"},
        {"code": "SH001"},
    )
    assert created["authorNickname"] == "张三丰"  # the author sees their own name
    for variables, expected in (
        (review(line.id), ("ALREADY_REVIEWED", "orderLineId")),
        (review(shipped_line.id), ("ORDER_NOT_COMPLETED", "orderLineId")),
        (review(second_line.id, rating=6), ("BAD_USER_INPUT", "rating")),
        (review(second_line.id, rating=0), ("BAD_USER_INPUT", "rating")),
        (
            review(second_line.id, imageUrls=["https://img.example/x.jpg"] * 10),
            ("BAD_USER_INPUT", "imageUrls"),
        ),
    ):
        assert refusal(await shopper.execute(CREATE, input=variables), "createReview") == [expected]
    r = await api.as_shopper(stranger.id).execute(CREATE, input=review(second_line.id))
    assert refusal(r, "createReview") == [("NOT_FOUND", "orderLineId")]
    r = await api.as_staff(store.id).execute(CREATE, input=review(second_line.id))
    assert r.error_codes == ["FORBIDDEN"]
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Review)) == 1


async def test_replies_moderation_and_the_public_view(api: Api, seed: Seed) -> None:
    sh, bj = await seed.store("SH001"), await seed.store("BJ001")
    buyer = await seed.customer(nickname="李小龙")
    _, [sku] = await seed.product("草莓")
    sh_order = await seed.order(sh, buyer, [(sku, 1)], status=OrderStatus.COMPLETED)
    bj_order = await seed.order(bj, buyer, [(sku, 1)], status=OrderStatus.COMPLETED)
    good = await seed.review(sh_order, (await seed.lines_of(sh_order))[0], 5, images=2)
    bad = await seed.review(
        bj_order, (await seed.lines_of(bj_order))[0], 1, created_at=T0 + timedelta(days=5)
    )
    sh_staff = api.as_staff(sh.id)
    r = await sh_staff.execute(REPLY, input={"reviewId": gid("Review", good.id), "reply": "感谢惠顾！"})
    assert payload(r, "replyToReview")["review"]["reply"] == "感谢惠顾！"
    r = await sh_staff.execute(REPLY, input={"reviewId": gid("Review", bad.id), "reply": "抱歉"})
    assert refusal(r, "replyToReview") == [("NOT_FOUND", "reviewId")]
    r = await sh_staff.execute(REPLY, input={"reviewId": gid("Review", good.id), "reply": "  "})
    assert refusal(r, "replyToReview") == [("BAD_USER_INPUT", "reply")]
    r = await sh_staff.execute(HIDE, input={"reviewId": gid("Review", bad.id), "hidden": True})
    assert r.error_codes == ["FORBIDDEN"]
    r = await api.as_hq().execute(HIDE, input={"reviewId": gid("Review", bad.id), "hidden": True})
    assert payload(r, "setReviewHidden")["review"]["hidden"] is True
    # the public sees visible reviews only, with masked names
    r = await api.execute(LIST)
    assert [(e["node"]["rating"], e["node"]["authorNickname"]) for e in r.data["reviews"]["edges"]] == [
        (5, "李**")
    ]
    r = await api.as_shopper(buyer.id).execute(LIST)
    assert r.data["reviews"]["totalCount"] == 2  # the author still sees their hidden review
    r = await api.as_staff(bj.id).execute(LIST)
    assert [(e["node"]["rating"], e["node"]["hidden"]) for e in r.data["reviews"]["edges"]] == [(1, True)]
    hq = api.as_hq()

    async def ratings(**f: object) -> list[int]:
        r = await hq.execute(LIST, f=f)
        assert r.errors == [], r.errors
        return [e["node"]["rating"] for e in r.data["reviews"]["edges"]]

    assert await ratings() == [1, 5]  # newest first
    assert await ratings(hasImages=True) == [5]
    assert await ratings(hasImages=False) == [1]
    assert await ratings(replied=True) == [5]
    assert await ratings(rating=[1, 2]) == [1]
    assert await ratings(storeIds=[gid("Store", sh.id)]) == [5]
    assert await ratings(hidden=True) == [1]
    assert await ratings(createdAt={"from": (T0 + timedelta(days=4)).isoformat()}) == [1]
    assert await ratings(productId=gid("Product", sku.product_id)) == [1, 5]
    r = await hq.execute(LIST, f={"rating": [6]})
    assert r.error_codes == ["BAD_USER_INPUT"]


async def test_product_ratings_come_from_one_batched_query(api: Api, seed: Seed) -> None:
    store = await seed.store("SH001")
    buyer = await seed.customer()
    q = "{ products(first: 50) { edges { node { name rating { count average } } } } }"
    counts = []
    for batch in (3, 20):
        for i in range(batch):
            _, [sku] = await seed.product(f"商品{batch}-{i}")
            order = await seed.order(store, buyer, [(sku, 1), (sku, 1)], status=OrderStatus.COMPLETED)
            first, second = await seed.lines_of(order)
            await seed.review(order, first, 5)
            await seed.review(order, second, 4 if i % 2 else 2)
            if i == 0:
                hidden_order = await seed.order(store, buyer, [(sku, 1)], status=OrderStatus.COMPLETED)
                await seed.review(hidden_order, (await seed.lines_of(hidden_order))[0], 1, hidden=True)
        _, _ = await seed.product(f"无评价{batch}")
        with count_statements() as counter:
            r = await api.execute(q)
        assert r.errors == []
        counts.append(counter.count)
    assert counts == [2, 2]  # the page and one grouped rating query, whatever the page holds
    ratings = {e["node"]["name"]: e["node"]["rating"] for e in r.data["products"]["edges"]}
    assert ratings["商品20-0"] == {"count": 2, "average": 3.5}  # the hidden 1-star review does not count
    assert ratings["商品20-1"] == {"count": 2, "average": 4.5}
    assert ratings["无评价20"] == {"count": 0, "average": None}
