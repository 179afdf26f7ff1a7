"""customer_coupons.issue_cause: the path each coupon was issued by (领券, 邀请有礼, 返券, 助力, 卖券, 发券)

Existing coupons are backfilled from what they already record: an invite reward means INVITE, a
返券 issue RULE (ASSIST for a 助力 rule), a paid purchase SALE, a push PUSH, anything else a claim.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CAUSES = ("CLAIM", "INVITE", "RULE", "ASSIST", "SALE", "PUSH")


def upgrade() -> None:
    with op.batch_alter_table("customer_coupons") as batch:
        batch.add_column(sa.Column("issue_cause", sa.String(max(len(c) for c in _CAUSES) + 8)))
    op.execute(
        "UPDATE customer_coupons SET issue_cause ="
        " CASE WHEN invite_reward_id IS NOT NULL THEN 'INVITE'"
        " WHEN id IN (SELECT i.coupon_id FROM coupon_issues i JOIN coupon_issue_rules r ON r.id = i.rule_id"
        "  WHERE r.kind = 'ASSIST') THEN 'ASSIST'"
        " WHEN id IN (SELECT coupon_id FROM coupon_issues WHERE coupon_id IS NOT NULL) THEN 'RULE'"
        " WHEN id IN (SELECT coupon_id FROM coupon_purchases WHERE coupon_id IS NOT NULL) THEN 'SALE'"
        " WHEN id IN (SELECT coupon_id FROM coupon_push_recipients WHERE coupon_id IS NOT NULL) THEN 'PUSH'"
        " ELSE 'CLAIM' END"
    )
    with op.batch_alter_table("customer_coupons") as batch:
        batch.alter_column("issue_cause", existing_type=sa.String(14), nullable=False)
        batch.create_check_constraint(
            op.f("ck_customer_coupons_coupon_issue_cause"), sa.column("issue_cause").in_(_CAUSES)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_coupons") as batch:
        batch.drop_constraint(op.f("ck_customer_coupons_coupon_issue_cause"), type_="check")
        batch.drop_column("issue_cause")
