"""Documents shared by the compensation-claim tests (餐损赔付)."""

from __future__ import annotations

from typing import Any

from tests.api.order_flow import key, mutation

CLAIM_FIELDS = """id cause state version note evidenceUrls raisedByType verdictNote
  askedAmount { cents } compensationAmount { cents } decidedAt paidAt"""
ORDER_FIELDS = """id status paidAmount { cents } refundedAmount { cents }
  lines { id refundedQuantity refundedAmount { cents } }"""
PAYLOAD = f"claim {{ {CLAIM_FIELDS} }} order {{ {ORDER_FIELDS} }} userErrors {{ code field message }}"

RAISE = mutation("raiseClaim", "RaiseClaimInput", PAYLOAD)
APPROVE = mutation("approveClaim", "ApproveClaimInput", PAYLOAD)
REJECT = mutation("rejectClaim", "RejectClaimInput", PAYLOAD)
PAY = mutation("payClaim", "PayClaimInput", PAYLOAD)
CLAIMS = f"""query($filter: ClaimFilter, $first: Int, $after: String) {{
  claims(filter: $filter, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {CLAIM_FIELDS} }} }}
    counts {{ state count }} }}
}}"""


def claim_ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def raise_input(order_id: str, cause: str = "DAMAGED", amount: int = 1000, **extra: Any) -> dict[str, Any]:
    return {
        "orderId": order_id,
        "cause": cause,
        "amountCents": amount,
        "note": "汤洒了",
        "idempotencyKey": key(),
        **extra,
    }
