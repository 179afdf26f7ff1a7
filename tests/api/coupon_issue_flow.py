"""Documents and steps for 返券 tests: rules through GraphQL, the sweeper at a fixed clock, assists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from models.coupons.issues import CouponIssue
from models.coupons.rows import CouponLedger, CustomerCoupon
from services.commands import Deps
from services.sweeps import SweepReport, run_sweeps
from tests.api.conftest import Api, Response
from tests.api.order_flow import key
from tests.conftest import Database
from tests.factories import T0

RULE_FIELDS = """id name kind running startsAt endsAt storeIds minPaid { cents } minRating inviteRole
  helpersNeeded assistHours stoppedAt template { id code }"""
FIGURES = """figures { issued skipped skippedByReason { reason count }
  assistsOpen assistsCompleted assistsExpired }"""
CREATE_RULE = f"""mutation($input: CreateCouponIssueRuleInput!) {{ createCouponIssueRule(input: $input) {{
  rule {{ {RULE_FIELDS} }} userErrors {{ code field message }} }} }}"""
UPDATE_RULE = f"""mutation($input: UpdateCouponIssueRuleInput!) {{ updateCouponIssueRule(input: $input) {{
  rule {{ {RULE_FIELDS} }} userErrors {{ code field message }} }} }}"""
STOP_RULE = """mutation($input: CouponIssueRuleIdInput!) { stopCouponIssueRule(input: $input) {
  rule { stoppedAt running } userErrors { code field message } } }"""
RULES = f"""query($kind: [IssueRuleKind!]) {{ couponIssueRules(kind: $kind, first: 20) {{ totalCount
  edges {{ node {{ id name kind {FIGURES} }} }} }} }}"""
ASSIST_FIELDS = """id status helpersNeeded helperCount remaining expiresAt startedByMe helpedByMe skipReason
  helpers { nickname } coupon { code status } template { code }"""
START = f"""mutation($input: StartAssistInput!) {{ startAssist(input: $input) {{
  assist {{ {ASSIST_FIELDS} }} userErrors {{ code field message }} }} }}"""
JOIN = f"""mutation($input: JoinAssistInput!) {{ joinAssist(input: $input) {{
  assist {{ {ASSIST_FIELDS} }} userErrors {{ code field message }} }} }}"""
MY_ASSISTS = f"query {{ myAssists {{ {ASSIST_FIELDS} }} }}"
ASSIST = f"query($id: ID!) {{ assist(id: $id) {{ {ASSIST_FIELDS} }} }}"
OFFERS = "query { assistOffers { ruleId name helpersNeeded assistHours template { code } } }"

STARTS = T0 - timedelta(days=1)


def rule_input(kind: str, template_id: str, **overrides: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "name": f"返券 {kind}",
        "kind": kind,
        "templateId": template_id,
        "startsAt": STARTS.isoformat(),
    }
    r.update(overrides)
    return r


def payload(r: Response, field: str) -> Any:
    """The field's answer (fails the test on GraphQL errors)."""
    assert r.errors == [], r.errors
    return r.data[field]


async def create_rule(api: Api, kind: str, template_id: str, **overrides: Any) -> dict[str, Any]:
    body = payload(
        await api.as_hq().execute(
            CREATE_RULE, input={"rule": rule_input(kind, template_id, **overrides), "idempotencyKey": key()}
        ),
        "createCouponIssueRule",
    )
    assert body["userErrors"] == [], body["userErrors"]
    rule: dict[str, Any] = body["rule"]
    return rule


async def sweep(api: Api, db: Database, now: datetime) -> SweepReport:
    return await run_sweeps(Deps(db.sessions, api.gateway), now)


async def held(db: Database) -> list[tuple[int, str]]:
    """(customer, title) of every coupon, by id."""
    async with db.sessions() as s:
        rows = (await s.scalars(select(CustomerCoupon).order_by(CustomerCoupon.id))).all()
    return [(c.customer_id, c.title) for c in rows]


async def issues(db: Database) -> list[tuple[int, str, str | None]]:
    """(cause, outcome, skip reason) of every handled cause, by id."""
    async with db.sessions() as s:
        rows = (await s.scalars(select(CouponIssue).order_by(CouponIssue.id))).all()
    return [(i.cause_id, i.outcome.value, i.skip_reason.value if i.skip_reason else None) for i in rows]


async def ledger_notes(db: Database) -> list[str]:
    async with db.sessions() as s:
        return [n or "" for n in (await s.scalars(select(CouponLedger.note).order_by(CouponLedger.id))).all()]


async def start(api: Api, customer_id: int, rule_id: str) -> Any:
    return payload(
        await api.as_shopper(customer_id).execute(START, input={"ruleId": rule_id, "idempotencyKey": key()}),
        "startAssist",
    )


async def join(api: Api, customer_id: int, assist_id: str) -> Any:
    return payload(
        await api.as_shopper(customer_id).execute(
            JOIN, input={"assistId": assist_id, "idempotencyKey": key()}
        ),
        "joinAssist",
    )


def codes(body: dict[str, Any]) -> list[str]:
    return [e["code"] for e in body["userErrors"]]
