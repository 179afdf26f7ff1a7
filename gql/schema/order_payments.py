"""GraphQL type of an order's payments and refunds at the gateway (`payment_transactions` rows)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema.common import Money, money
from models.enums import PaymentKind, PaymentMethod, PaymentStatus
from models.payments import PaymentTransaction


@strawberry.type(
    description="One payment or refund of an order at the gateway. `serialNo` (流水号) is what the "
    "gateway calls it — what a buyer reads off their payment receipt; `OrderFilter.paymentSerialNo` and "
    "`serial:` search by it."
)
class OrderPayment:
    transaction_no: str = strawberry.field(
        description="Our number of the call: the payment number, or the after-sale's refund number."
    )
    kind: PaymentKind
    method: PaymentMethod | None
    amount: Money
    status: PaymentStatus = strawberry.field(description="PENDING until the gateway confirms.")
    serial_no: str | None = strawberry.field(
        description="The gateway's serial number (流水号); null until the gateway confirms."
    )
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: PaymentTransaction) -> OrderPayment:
        return cls(
            transaction_no=row.transaction_no,
            kind=row.kind,
            method=row.method,
            amount=money(row.amount),
            status=row.status,
            serial_no=row.gateway_reference,
            created_at=row.created_at,
            completed_at=row.completed_at,
        )
