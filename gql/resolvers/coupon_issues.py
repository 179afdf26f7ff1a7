"""Root fields of 返券: issuing rules for the back office, 助力 assists for shoppers."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id, encode_id
from gql.mutations import UseCase, run, user_error
from gql.schema.common import Connection
from gql.schema.coupon_issues import (
    Assist,
    AssistOffer,
    AssistPayload,
    CouponIssueRule,
    CouponIssueRulePayload,
)
from gql.schema.coupons import CouponTemplate
from models.base import utcnow
from models.coupons.issue_rules import InviteRole, IssueRuleKind
from models.coupons.issues import CouponIssueRule as RuleRow
from models.coupons.rows import CouponTemplate as TemplateRow
from models.enums import OrderChannel
from models.errors import DomainError
from services.commands import Result, Work
from services.coupons import assists, rules
from services.pagination import PageRequest

KEY_HELP = "Same key + same input returns the first result without acting again."


@strawberry.input(
    description="A 返券 rule's settings; each kind takes only its own (BAD_USER_INPUT otherwise)."
)
class CouponIssueRuleInput:
    name: str
    kind: IssueRuleKind
    template_id: strawberry.ID = strawberry.field(description="The coupon template it issues.")
    starts_at: datetime | None = strawberry.field(
        default=None, description="Null: now. Causes before it count not."
    )
    ends_at: datetime | None = None
    store_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="ON_ORDER_COMPLETED / ON_GOOD_REVIEW: the stores (staff: required)."
    )
    channels: list[OrderChannel] | None = strawberry.field(default=None, description="ON_ORDER_COMPLETED.")
    min_paid_cents: int | None = strawberry.field(default=None, description="ON_ORDER_COMPLETED: paid, net.")
    min_rating: int | None = strawberry.field(
        default=None, description="ON_GOOD_REVIEW: 1-5 stars (required)."
    )
    invite_role: InviteRole | None = strawberry.field(default=None, description="ON_INVITE: null, both.")
    invite_campaign_id: strawberry.ID | None = strawberry.field(
        default=None, description="ON_INVITE: one campaign."
    )
    helpers_needed: int | None = strawberry.field(default=None, description="ASSIST: other customers (1-50).")
    assist_hours: int | None = strawberry.field(default=None, description="ASSIST: the window (1-168 h).")


@strawberry.input
class CreateCouponIssueRuleInput:
    rule: CouponIssueRuleInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Replace the settings; the kind, and the template once it issued, stay.")
class UpdateCouponIssueRuleInput:
    rule_id: strawberry.ID
    rule: CouponIssueRuleInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class CouponIssueRuleIdInput:
    rule_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class StartAssistInput:
    rule_id: strawberry.ID = strawberry.field(description="An ASSIST rule (see assistOffers).")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class JoinAssistInput:
    assist_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


def _rule_id(value: strawberry.ID) -> int:
    return decode_id(value, "CouponIssueRule", "ruleId")


def _draft(r: CouponIssueRuleInput) -> rules.RuleDraft:
    return rules.RuleDraft(
        name=r.name,
        kind=r.kind,
        template_id=decode_id(r.template_id, "CouponTemplate", "rule.templateId"),
        starts_at=r.starts_at,
        ends_at=r.ends_at,
        store_ids=None
        if r.store_ids is None
        else tuple(decode_id(s, "Store", "rule.storeIds") for s in r.store_ids),
        channels=None if r.channels is None else tuple(r.channels),
        min_paid=r.min_paid_cents,
        min_rating=r.min_rating,
        invite_role=r.invite_role,
        invite_campaign_id=decode_id(r.invite_campaign_id, "Campaign", "rule.inviteCampaignId")
        if r.invite_campaign_id
        else None,
        helpers_needed=r.helpers_needed,
        assist_hours=r.assist_hours,
    )


async def _rules_of(info: Info, rows: list[RuleRow]) -> list[CouponIssueRule]:
    async with info.context.sessions() as session:
        ids = {r.template_id for r in rows}
        templates = {
            t.id: t for t in (await session.scalars(select(TemplateRow).where(TemplateRow.id.in_(ids)))).all()
        }
    return [CouponIssueRule.from_row(r, CouponTemplate.from_row(templates[r.template_id])) for r in rows]


async def _rule_payload(
    info: Info, operation: str, input_: object, use_case: UseCase
) -> CouponIssueRulePayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return CouponIssueRulePayload(rule=None, user_errors=[user_error(error)])
    async with info.context.sessions() as session:
        row = await session.get(RuleRow, int(result["ruleId"]))
    rule = (await _rules_of(info, [row]))[0] if row else None
    return CouponIssueRulePayload(rule=rule, user_errors=[])


async def _assist_payload(info: Info, operation: str, input_: object, use_case: UseCase) -> AssistPayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return AssistPayload(assist=None, user_errors=[user_error(error)])
    async with info.context.sessions() as session:
        view = await assists.one(session, int(result["assistId"]))
    viewer = info.context.principal.customer_id
    return AssistPayload(assist=Assist.of(view, viewer) if view else None, user_errors=[])


@strawberry.type
class CouponIssueQueries:
    @strawberry.field(
        permission_classes=[Allowed], description="返券 rules, newest first, with their counts."
    )
    async def coupon_issue_rules(
        self,
        info: Info,
        kind: list[IssueRuleKind] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CouponIssueRule]:
        page = await rules.list_rules(
            info.context.sessions, info.context.principal, kind or (), PageRequest(first, after, last, before)
        )
        by_id = {r._row_id: r for r in await _rules_of(info, list(page.rows))}
        return Connection[CouponIssueRule].of(page, lambda row: by_id[row.id])

    @strawberry.field(permission_classes=[Allowed], description="One 返券 rule.")
    async def coupon_issue_rule(self, info: Info, id: strawberry.ID) -> CouponIssueRule | None:
        async with info.context.sessions() as session:
            row = await session.get(RuleRow, _rule_id(id))
        return (await _rules_of(info, [row]))[0] if row else None

    @strawberry.field(
        permission_classes=[Allowed], description="助力 offers running now (start one to share)."
    )
    async def assist_offers(self, info: Info) -> list[AssistOffer]:
        async with info.context.sessions() as session:
            found = await assists.offers(session, utcnow())
        return [
            AssistOffer(
                rule_id=strawberry.ID(encode_id("CouponIssueRule", r.id)),
                name=r.name,
                helpers_needed=r.helpers_needed or 0,
                assist_hours=r.assist_hours or 0,
                ends_at=r.ends_at,
                template=CouponTemplate.from_row(t),
            )
            for r, t in found
        ]

    @strawberry.field(
        permission_classes=[Allowed], description="The shopper's assists (我的助力), newest first."
    )
    async def my_assists(self, info: Info) -> list[Assist]:
        viewer = info.context.principal.customer_id
        if viewer is None:
            return []
        async with info.context.sessions() as session:
            found = await assists.mine(session, viewer)
        return [Assist.of(v, viewer) for v in found]

    @strawberry.field(
        permission_classes=[Allowed], description="One assist and its progress (the share page)."
    )
    async def assist(self, info: Info, id: strawberry.ID) -> Assist | None:
        async with info.context.sessions() as session:
            view = await assists.one(session, decode_id(id, "Assist"))
        return Assist.of(view, info.context.principal.customer_id) if view else None


@strawberry.type
class CouponIssueMutations:
    @strawberry.mutation(
        permission_classes=[Allowed], description="Create a 返券 rule (staff: their 商家券)."
    )
    async def create_coupon_issue_rule(
        self, info: Info, input: CreateCouponIssueRuleInput
    ) -> CouponIssueRulePayload:
        async def use_case(work: Work) -> Result:
            return await rules.create(work, _draft(input.rule))

        return await _rule_payload(info, "createCouponIssueRule", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Change a 返券 rule for causes from now on."
    )
    async def update_coupon_issue_rule(
        self, info: Info, input: UpdateCouponIssueRuleInput
    ) -> CouponIssueRulePayload:
        async def use_case(work: Work) -> Result:
            return await rules.update(work, _rule_id(input.rule_id), _draft(input.rule))

        return await _rule_payload(info, "updateCouponIssueRule", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Stop a rule: no more issues, no new assists."
    )
    async def stop_coupon_issue_rule(
        self, info: Info, input: CouponIssueRuleIdInput
    ) -> CouponIssueRulePayload:
        async def use_case(work: Work) -> Result:
            return await rules.stop(work, _rule_id(input.rule_id))

        return await _rule_payload(info, "stopCouponIssueRule", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Start an assist (发起助力) and share its id."
    )
    async def start_assist(self, info: Info, input: StartAssistInput) -> AssistPayload:
        async def use_case(work: Work) -> Result:
            return await assists.start(work, _rule_id(input.rule_id))

        return await _assist_payload(info, "startAssist", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Help someone's assist (助力), once.")
    async def join_assist(self, info: Info, input: JoinAssistInput) -> AssistPayload:
        async def use_case(work: Work) -> Result:
            return await assists.join(work, decode_id(input.assist_id, "Assist", "assistId"))

        return await _assist_payload(info, "joinAssist", input, use_case)
