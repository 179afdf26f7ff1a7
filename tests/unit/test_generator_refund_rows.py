"""The generator writes money rows as the services do: a refund of nothing has no transaction."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any, cast

from bench.generator.common import Batch, Ids
from bench.generator.emit import Emitter
from bench.generator.sim import AfterSaleSim, OrderSim
from models.after_sales.states import AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.enums import PaymentMethod


def _refunded(no: str, amount: int) -> AfterSaleSim:
    return AfterSaleSim(
        no=no,
        type=AfterSaleType.REFUND_ONLY.value,
        initiator=AfterSaleInitiator.BUYER.value,
        status=AfterSaleStatus.REFUNDED.value,
        reason="不想要了",
        store_id=1,
        created=1_700_000_000.0,
        lines=[],
        refund_amount=amount,
        refunded=1_700_000_060.0,
        updated=1_700_000_060.0,
    )


def test_only_refunds_of_money_get_a_refund_transaction() -> None:
    sim: Any = SimpleNamespace(
        id=7,
        customer=SimpleNamespace(id=3),
        payment_method=PaymentMethod.WECHAT_PAY.value,
        after_sales=[_refunded("N1R01", 1200), _refunded("N1R02", 0)],
    )
    batch = Batch()
    Emitter(random.Random(1), Ids(), 1_700_001_000.0)._after_sales(cast(OrderSim, sim), batch)
    assert len(batch.rows["after_sales"]) == 2
    assert [(row[1], row[6]) for row in batch.rows["payment_transactions"]] == [("N1R01", 1200)]
