"""Pure rules of 返券 (coupon-issuing rules) and 助力 (assists). No I/O.

A rule issues one coupon of its template per *cause*; each kind has exactly one kind of cause,
so a cause is an id and (rule, cause id) is unique: the customer's registration (the customer),
a granted 邀请有礼 reward (the reward), a completed order (the order), a good review (the order:
once per order however many lines are reviewed), a finished assist (the assist).

An issue that cannot happen is recorded as skipped with its reason (stopped template, its window
over, stock gone, the customer's limit reached) and never retried: once per cause either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.errors import DomainError, ErrorCode


class IssueRuleKind(StrEnum):
    ON_REGISTRATION = "ON_REGISTRATION"
    """新客: a customer registering (first sign-in creates the customer) while the rule runs."""
    ON_INVITE = "ON_INVITE"
    """邀请有礼: a reward of an invite campaign granted (to the inviter, the invitee or both)."""
    ON_ORDER_COMPLETED = "ON_ORDER_COMPLETED"
    """An order reaching 交易完成 with enough paid (net of refunds), in the rule's stores/channels."""
    ON_GOOD_REVIEW = "ON_GOOD_REVIEW"
    """A visible review of at least `min_rating` stars: once per order."""
    ASSIST = "ASSIST"
    """助力: the starter gets the coupon when `helpers_needed` other customers joined in time."""


class InviteRole(StrEnum):
    INVITER = "INVITER"
    INVITEE = "INVITEE"


class IssueOutcome(StrEnum):
    ISSUED = "ISSUED"
    SKIPPED = "SKIPPED"


class SkipReason(StrEnum):
    TEMPLATE_STOPPED = "TEMPLATE_STOPPED"
    TEMPLATE_ENDED = "TEMPLATE_ENDED"
    """The template's fixed window is over."""
    OUT_OF_STOCK = "OUT_OF_STOCK"
    LIMIT_REACHED = "LIMIT_REACHED"
    """The customer already holds the template's per-customer limit."""


class AssistStatus(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"


MAX_HELPERS = 50
MAX_ASSIST_HOURS = 24 * 7
GRACE = timedelta(days=1)
"""A rule that ended is still swept this long for causes from before its end (sweeper lag)."""


@dataclass(frozen=True, slots=True)
class RuleShape:
    """The settings of a rule the checks look at (cents, stars, hours)."""

    kind: IssueRuleKind
    starts_at: datetime
    ends_at: datetime | None
    store_ids: frozenset[int] | None = None
    channels: frozenset[str] | None = None
    min_paid: int | None = None
    min_rating: int | None = None
    invite_role: InviteRole | None = None
    invite_campaign_id: int | None = None
    helpers_needed: int | None = None
    assist_hours: int | None = None


_ONLY: dict[str, frozenset[IssueRuleKind]] = {
    "store_ids": frozenset({IssueRuleKind.ON_ORDER_COMPLETED, IssueRuleKind.ON_GOOD_REVIEW}),
    "channels": frozenset({IssueRuleKind.ON_ORDER_COMPLETED}),
    "min_paid": frozenset({IssueRuleKind.ON_ORDER_COMPLETED}),
    "min_rating": frozenset({IssueRuleKind.ON_GOOD_REVIEW}),
    "invite_role": frozenset({IssueRuleKind.ON_INVITE}),
    "invite_campaign_id": frozenset({IssueRuleKind.ON_INVITE}),
    "helpers_needed": frozenset({IssueRuleKind.ASSIST}),
    "assist_hours": frozenset({IssueRuleKind.ASSIST}),
}
_FIELDS = {
    "store_ids": "storeIds",
    "channels": "channels",
    "min_paid": "minPaidCents",
    "min_rating": "minRating",
    "invite_role": "inviteRole",
    "invite_campaign_id": "inviteCampaignId",
    "helpers_needed": "helpersNeeded",
    "assist_hours": "assistHours",
}


def validate_rule(r: RuleShape) -> None:
    """Each kind takes only its own settings; the required ones are present and in range."""
    for name, kinds in _ONLY.items():
        if getattr(r, name) is not None and r.kind not in kinds:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"{r.kind.value} rules take no {_FIELDS[name]}", _FIELDS[name]
            )
    if r.ends_at is not None and r.ends_at <= r.starts_at:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "endsAt must be after startsAt", "endsAt")
    if r.store_ids is not None and not r.store_ids:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "give stores or leave storeIds out", "storeIds")
    if r.channels is not None and not r.channels:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "give channels or leave channels out", "channels")
    if r.min_paid is not None and r.min_paid < 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "minPaidCents cannot be negative", "minPaidCents")
    if r.kind is IssueRuleKind.ON_GOOD_REVIEW and not (r.min_rating is not None and 1 <= r.min_rating <= 5):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "minRating is 1 to 5 stars", "minRating")
    if r.kind is IssueRuleKind.ASSIST:
        if r.helpers_needed is None or not 1 <= r.helpers_needed <= MAX_HELPERS:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"helpersNeeded is 1 to {MAX_HELPERS}", "helpersNeeded"
            )
        if r.assist_hours is None or not 1 <= r.assist_hours <= MAX_ASSIST_HOURS:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"assistHours is 1 to {MAX_ASSIST_HOURS}", "assistHours"
            )


def skip_reason(
    stopped: bool,
    valid_until: datetime | None,
    issued_count: int,
    total_stock: int,
    held: int,
    per_customer_limit: int,
    now: datetime,
) -> SkipReason | None:
    """Why a template cannot issue one more coupon to a customer holding `held` of it now (None: it can)."""
    if stopped:
        return SkipReason.TEMPLATE_STOPPED
    if valid_until is not None and now >= valid_until:
        return SkipReason.TEMPLATE_ENDED
    if issued_count >= total_stock:
        return SkipReason.OUT_OF_STOCK
    if held >= per_customer_limit:
        return SkipReason.LIMIT_REACHED
    return None


SKIP_ERRORS: dict[SkipReason, ErrorCode] = {
    SkipReason.TEMPLATE_STOPPED: ErrorCode.COUPON_UNAVAILABLE,
    SkipReason.TEMPLATE_ENDED: ErrorCode.COUPON_EXPIRED,
    SkipReason.OUT_OF_STOCK: ErrorCode.COUPON_OUT_OF_STOCK,
    SkipReason.LIMIT_REACHED: ErrorCode.COUPON_LIMIT_REACHED,
}
"""The code a shopper gets when starting an assist whose coupon could not be issued now."""


def rule_running(
    starts_at: datetime, ends_at: datetime | None, stopped_at: datetime | None, now: datetime
) -> bool:
    return stopped_at is None and starts_at <= now and (ends_at is None or now < ends_at)


# --- assists -------------------------------------------------------------------------------------


def assist_status_at(status: AssistStatus, expires_at: datetime, now: datetime) -> AssistStatus:
    """An OPEN assist past its end reads EXPIRED before the sweeper writes it."""
    if status is AssistStatus.OPEN and now >= expires_at:
        return AssistStatus.EXPIRED
    return status


def check_can_help(
    status: AssistStatus,
    expires_at: datetime,
    starter_id: int,
    helper_id: int,
    helper_count: int,
    helpers_needed: int,
    already_helped: bool,
    now: datetime,
) -> None:
    """Whether `helper_id` may join the assist now (read under the assist's row lock)."""
    if helper_id == starter_id:
        raise DomainError(ErrorCode.ASSIST_OWN, "you cannot help your own assist", "assistId")
    if already_helped:
        raise DomainError(ErrorCode.ASSIST_ALREADY_JOINED, "you already helped this assist", "assistId")
    state = assist_status_at(status, expires_at, now)
    if state is AssistStatus.EXPIRED:
        raise DomainError(ErrorCode.ASSIST_EXPIRED, "this assist has expired", "assistId")
    if state is AssistStatus.COMPLETED or helper_count >= helpers_needed:
        raise DomainError(ErrorCode.ASSIST_COMPLETED, "this assist already has its helpers", "assistId")
