"""join the metrics, back-office and coupon branches into one head

0004, 0005 and 0006 were written side by side on top of 0003 and touch different tables; this
empty revision makes the history linear again, so the next migration has one parent and
`alembic upgrade head` (singular) works as well as `heads`.

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-23 13:05:00
"""
from collections.abc import Sequence

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
