"""Reviews (评价) of completed orders' lines, with the store's replies."""

from __future__ import annotations

import random

from bench.generator.catalog import IMAGE_BASE
from bench.generator.catalog_words import MERCHANT_REPLIES, REVIEW_TEXTS
from bench.generator.common import DAY, HOUR, Batch, Ids, Weighted, between, dt, dt_opt, json_text
from bench.generator.sim import OrderSim

_RATING = Weighted([(5, 62.0), (4, 22.0), (3, 8.0), (2, 4.0), (1, 4.0)])


def emit_reviews(sim: OrderSim, ids: Ids, batch: Batch, rng: random.Random, now: float) -> None:
    """Reviews of a completed order's lines written before `now`: some lines, some with the store's
    reply, a few hidden."""
    completed = sim.completed if sim.completed is not None else sim.t
    for line in sim.lines:
        if line.is_gift or line.refunded_qty == line.quantity or rng.random() >= 0.3:
            continue
        created = completed + between(rng, HOUR, 10 * DAY, 1.6)
        if created >= now:
            continue
        review_id = ids.next("reviews")
        rating = _RATING.pick(rng)
        content = rng.choice(REVIEW_TEXTS[rating]) if rng.random() < 0.85 else None
        images = [f"{IMAGE_BASE}/reviews/{review_id}/{k}.jpg" for k in range(1, rng.randint(1, 3) + 1)]
        reply, replied = None, None
        if rng.random() < (0.7 if rating <= 2 else 0.3):
            replied_at = created + between(rng, HOUR, 3 * DAY, 1.5)
            if replied_at < now:
                reply, replied = (
                    rng.choice(MERCHANT_REPLIES[2:] if rating <= 3 else MERCHANT_REPLIES[:2]),
                    replied_at,
                )
        hidden = rng.random() < (0.1 if rating <= 2 else 0.02)
        batch.add(
            "reviews",
            (
                review_id,
                sim.id,
                line.id,
                line.sku.product_id,
                line.sku.id,
                sim.store_id,
                sim.customer.id,
                rating,
                content,
                json_text(images if rng.random() < 0.2 else []),
                reply,
                dt_opt(replied),
                hidden,
                dt(created),
            ),
        )
