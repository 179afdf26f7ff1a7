"""index of payment serial numbers

The order search finds orders by the gateway's serial number (`serial:`, `paymentSerialNo`):
`payment_transactions.gateway_reference` gets an index, so that lookup is not a table scan.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_payment_transactions_gateway_reference", "payment_transactions", ["gateway_reference"]
    )


def downgrade() -> None:
    op.drop_index("ix_payment_transactions_gateway_reference", table_name="payment_transactions")
