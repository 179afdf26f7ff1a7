"""Demo 返券 rules (one of each kind, templates REBATE-*) and what they did: the newest five
registrations under ON_REGISTRATION (three issued, two skipped: the stock was three), and 助力
assists in each state — the demo shopper's in progress (1 of 3 helpers), customer 2's completed
(its coupon issued), customer 3's expired. Written after the demo coupons.
"""

from __future__ import annotations

from typing import Final

from bench.generator.common import DAY, HOUR, Batch, Ids, dt
from bench.generator.coupons import coupon_row, ledger_row, template_row
from bench.generator.demo import DEMO_CUSTOMER_ID
from bench.generator.world import World
from models.coupons.issue_rules import AssistStatus, InviteRole, IssueOutcome, IssueRuleKind, SkipReason
from models.coupons.rows import CouponLedgerAction
from models.coupons.rules import CouponIssueCause, CouponStatus, CouponType

# (code, name, type, amount off, threshold, stock, limit) of each kind's template
TEMPLATES: Final = {
    IssueRuleKind.ON_REGISTRATION: ("REBATE-NEW", "新客礼满30减10", CouponType.ALL, 1000, 3000, 3, 1),
    IssueRuleKind.ON_INVITE: ("REBATE-INVITE", "邀请好友再得5元", CouponType.ALL, 500, 2000, 500, 5),
    IssueRuleKind.ON_ORDER_COMPLETED: ("REBATE-ORDER", "下单返券满50减5", CouponType.ALL, 500, 5000, 200, 3),
    IssueRuleKind.ON_GOOD_REVIEW: ("REBATE-REVIEW", "好评返券3元", CouponType.ALL, 300, 2000, 200, 3),
    IssueRuleKind.ASSIST: ("REBATE-ASSIST", "助力得8元", CouponType.ALL, 800, 3000, 100, 2),
}
NEWEST = 5
HELPERS_NEEDED = 3
ASSIST_HOURS = 24


def build_coupon_issues(ids: Ids, world: World) -> Batch:
    batch = Batch()
    now = world.now
    newest = sorted(
        (c for c in world.customers if c.id != DEMO_CUSTOMER_ID), key=lambda c: (c.registered, c.id)
    )
    newest = newest[-NEWEST:]
    issued = {IssueRuleKind.ON_REGISTRATION: 3, IssueRuleKind.ASSIST: 1}
    rule_ids: dict[IssueRuleKind, int] = {}
    template_ids: dict[IssueRuleKind, int] = {}
    for kind, (code, name, ctype, off, threshold, stock, limit) in TEMPLATES.items():
        template_ids[kind] = ids.next("coupon_templates")
        batch.add(
            "coupon_templates",
            template_row(
                template_ids[kind],
                code,
                name,
                ctype,
                off,
                threshold,
                stock,
                issued.get(kind, 0),
                limit,
                now - 30 * DAY,
            ),
        )
        rule_ids[kind] = ids.next("coupon_issue_rules")
        starts = newest[0].registered if kind is IssueRuleKind.ON_REGISTRATION else now - 7 * DAY
        batch.add(
            "coupon_issue_rules",
            (
                rule_ids[kind],
                name,
                kind.value,
                template_ids[kind],
                dt(starts),
                None,
                None,
                None,
                10000 if kind is IssueRuleKind.ON_ORDER_COMPLETED else None,
                5 if kind is IssueRuleKind.ON_GOOD_REVIEW else None,
                InviteRole.INVITER.value if kind is IssueRuleKind.ON_INVITE else None,
                None,
                HELPERS_NEEDED if kind is IssueRuleKind.ASSIST else None,
                ASSIST_HOURS if kind is IssueRuleKind.ASSIST else None,
                None,
                "demo",
                dt(now - 7 * DAY),
                dt(now - 7 * DAY),
            ),
        )

    def issue(kind: IssueRuleKind, cause_id: int, customer_id: int, at: float, seq: int) -> None:
        if seq > issued[kind]:
            batch.add(
                "coupon_issues",
                (
                    ids.next("coupon_issues"),
                    rule_ids[kind],
                    cause_id,
                    customer_id,
                    IssueOutcome.SKIPPED.value,
                    SkipReason.OUT_OF_STOCK.value,
                    None,
                    dt(at),
                ),
            )
            return
        coupon_id = ids.next("customer_coupons")
        batch.add(
            "customer_coupons",
            coupon_row(
                coupon_id,
                customer_id,
                template_ids[kind],
                TEMPLATES[kind],
                CouponStatus.UNUSED,
                at,
                at + 30 * DAY,
                claim_seq=None,
                cause=CouponIssueCause.ASSIST if kind is IssueRuleKind.ASSIST else CouponIssueCause.RULE,
            ),
        )
        note = f"返券 {kind.value} rule {rule_ids[kind]} cause {cause_id}"
        ledger_row(batch, ids, coupon_id, CouponLedgerAction.ISSUED, at, note)
        batch.add(
            "coupon_issues",
            (
                ids.next("coupon_issues"),
                rule_ids[kind],
                cause_id,
                customer_id,
                IssueOutcome.ISSUED.value,
                None,
                coupon_id,
                dt(at),
            ),
        )

    for seq, customer in enumerate(newest, start=1):
        issue(
            IssueRuleKind.ON_REGISTRATION, customer.id, customer.id, min(now, customer.registered + 60), seq
        )
    # 助力: (starter, status, hours since the start, helpers)
    helpers = iter(range(4, 4 + 2 * HELPERS_NEEDED))
    for starter, status, started_ago, count in (
        (DEMO_CUSTOMER_ID, AssistStatus.OPEN, 2, 1),
        (2, AssistStatus.COMPLETED, 30, HELPERS_NEEDED),
        (3, AssistStatus.EXPIRED, 60, 1),
    ):
        assist_id = ids.next("coupon_assists")
        started = now - started_ago * HOUR
        joined = [started + (i + 1) * HOUR for i in range(count)]
        batch.add(
            "coupon_assists",
            (
                assist_id,
                rule_ids[IssueRuleKind.ASSIST],
                starter,
                status.value,
                f"{rule_ids[IssueRuleKind.ASSIST]}:{starter}" if status is AssistStatus.OPEN else None,
                HELPERS_NEEDED,
                count,
                dt(started),
                dt(started + ASSIST_HOURS * HOUR),
                dt(joined[-1]) if status is AssistStatus.COMPLETED else None,
                dt(started + ASSIST_HOURS * HOUR) if status is AssistStatus.EXPIRED else None,
            ),
        )
        for at in joined:
            batch.add(
                "coupon_assist_helpers", (ids.next("coupon_assist_helpers"), assist_id, next(helpers), dt(at))
            )
        if status is AssistStatus.COMPLETED:
            issue(IssueRuleKind.ASSIST, assist_id, starter, joined[-1], 1)
    return batch
