"""客服介入 in the demo: escalations raised on scripted after-sales, HQ's verdicts, and their rows.

The after-sale walk (`bench.generator.after_sales`) records the ESCALATE and SUPPORT_* steps on
the after-sale's timeline through the state table; this module keeps the escalation beside it
(`AfterSaleSim.escalation`) and writes it to `after_sale_escalations` with the after-sale's id.
"""

from __future__ import annotations

import random
from typing import Final

from bench.generator.common import Batch, Ids, dt, dt_opt
from bench.generator.sim import AfterSaleSim, EscalationSim, OrderSim
from bench.generator.vocabulary import ESCALATION_EVIDENCE, ESCALATION_REASONS, VERDICT_NOTES
from models.after_sales.escalation_rules import EscalationState
from models.after_sales.states import AfterSaleAction, AfterSaleStatus
from models.enums import ActorType

_VERDICTS: Final = {
    AfterSaleAction.SUPPORT_BUYER_REFUND: EscalationState.BUYER_SUPPORTED,
    AfterSaleAction.SUPPORT_BUYER_RETURN: EscalationState.BUYER_SUPPORTED,
    AfterSaleAction.SUPPORT_STORE: EscalationState.STORE_SUPPORTED,
}


def escalate(
    rng: random.Random,
    after_sale: AfterSaleSim,
    status: AfterSaleStatus,
    actor: ActorType,
    who: str | None,
    at: float,
) -> EscalationSim:
    after_sale.escalation = EscalationSim(
        state=EscalationState.PENDING.value,
        from_status=status.value,
        raised_by=actor.value,
        raised_by_id=who,
        reason=rng.choice(ESCALATION_REASONS),
        evidence=rng.choice(ESCALATION_EVIDENCE),
        created=at,
    )
    return after_sale.escalation


def give_verdict(
    rng: random.Random, escalation: EscalationSim, action: AfterSaleAction, who: str | None, at: float
) -> dict[str, object]:
    """HQ decides: the escalation's state, note and time; the payload of the after-sale's step."""
    state = _VERDICTS[action]
    escalation.state = state.value
    escalation.verdict_note = rng.choice(VERDICT_NOTES)
    escalation.decided_by, escalation.decided = who, at
    escalation.version += 1
    verdict = "SUPPORT_STORE" if state is EscalationState.STORE_SUPPORTED else "SUPPORT_BUYER"
    return {"verdict": verdict, "note": escalation.verdict_note}


def emit_escalation(
    sim: OrderSim, after_sale: AfterSaleSim, after_sale_id: int, ids: Ids, batch: Batch
) -> None:
    e = after_sale.escalation
    if e is None:
        return
    batch.add(
        "after_sale_escalations",
        (
            ids.next("after_sale_escalations"),
            after_sale_id,
            sim.id,
            after_sale.store_id,
            e.state,
            e.from_status,
            e.raised_by,
            e.raised_by_id,
            e.reason,
            e.evidence,
            e.verdict_note,
            e.decided_by,
            dt(e.created),
            dt_opt(e.decided),
            e.version,
        ),
    )
