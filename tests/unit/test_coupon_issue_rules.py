"""The pure rules of 返券 and 助力 (`models.coupons.issue_rules`): each kind's settings, why a
template skips, and who may help an assist — any sequence of joins counts exactly N helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.coupons.issue_rules import (
    AssistStatus,
    IssueRuleKind,
    RuleShape,
    SkipReason,
    assist_status_at,
    check_can_help,
    skip_reason,
    validate_rule,
)
from models.errors import DomainError, ErrorCode

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _field(shape: RuleShape) -> str | None:
    """The field a refused shape names (every refusal is BAD_USER_INPUT); None when accepted."""
    try:
        validate_rule(shape)
    except DomainError as error:
        return error.field if error.code is ErrorCode.BAD_USER_INPUT else f"wrong code {error.code}"
    return None


def _refusal(*args: object) -> ErrorCode | None:
    try:
        check_can_help(*args)  # type: ignore[arg-type]
    except DomainError as error:
        return error.code
    return None


def test_each_kind_takes_its_own_settings() -> None:
    base: dict[str, Any] = {"starts_at": T0, "ends_at": None}
    assert _field(RuleShape(IssueRuleKind.ON_REGISTRATION, **base)) is None
    assert _field(RuleShape(IssueRuleKind.ON_REGISTRATION, **base, min_rating=5)) == "minRating"
    assert _field(RuleShape(IssueRuleKind.ON_INVITE, **base, store_ids=frozenset({1}))) == "storeIds"
    assert _field(RuleShape(IssueRuleKind.ON_GOOD_REVIEW, **base)) == "minRating"
    assert (
        _field(RuleShape(IssueRuleKind.ON_GOOD_REVIEW, **base, min_rating=5, store_ids=frozenset()))
        == "storeIds"
    )
    assert _field(RuleShape(IssueRuleKind.ON_ORDER_COMPLETED, **base, min_paid=-1)) == "minPaidCents"
    assert _field(RuleShape(IssueRuleKind.ASSIST, **base, helpers_needed=3)) == "assistHours"
    assert (
        _field(RuleShape(IssueRuleKind.ASSIST, **base, helpers_needed=51, assist_hours=1)) == "helpersNeeded"
    )
    assert _field(RuleShape(IssueRuleKind.ASSIST, **base, helpers_needed=3, assist_hours=24)) is None
    assert _field(RuleShape(IssueRuleKind.ON_REGISTRATION, T0, T0)) == "endsAt"


def test_skip_reasons_in_order() -> None:
    later = T0 + timedelta(days=1)
    assert skip_reason(True, T0, 5, 5, 9, 1, later) is SkipReason.TEMPLATE_STOPPED
    assert skip_reason(False, T0, 5, 5, 9, 1, later) is SkipReason.TEMPLATE_ENDED
    assert skip_reason(False, later, 5, 5, 9, 1, T0) is SkipReason.OUT_OF_STOCK
    assert skip_reason(False, None, 4, 5, 1, 1, T0) is SkipReason.LIMIT_REACHED
    assert skip_reason(False, None, 4, 5, 0, 1, T0) is None


def test_an_open_assist_past_its_end_reads_expired() -> None:
    assert assist_status_at(AssistStatus.OPEN, T0, T0) is AssistStatus.EXPIRED
    assert assist_status_at(AssistStatus.OPEN, T0, T0 - timedelta(seconds=1)) is AssistStatus.OPEN
    assert assist_status_at(AssistStatus.COMPLETED, T0, T0 + timedelta(days=1)) is AssistStatus.COMPLETED


@settings(max_examples=60)
@given(
    needed=st.integers(1, 6),
    attempts=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 30)), max_size=40),
    hours=st.integers(1, 24),
)
def test_joins_count_distinct_helpers_up_to_n(
    needed: int, attempts: list[tuple[int, int]], hours: int
) -> None:
    """Customer 0 starts; each attempt is (customer, minutes after the start in tens)."""
    expires = T0 + timedelta(hours=hours)
    status, helpers, completed = AssistStatus.OPEN, set[int](), 0
    for who, tens in sorted(attempts, key=lambda a: a[1]):
        now = T0 + timedelta(minutes=10 * tens)
        refused = _refusal(status, expires, 0, who, len(helpers), needed, who in helpers, now)
        if refused is not None:
            expected = {
                ErrorCode.ASSIST_OWN: who == 0,
                ErrorCode.ASSIST_ALREADY_JOINED: who in helpers,
                ErrorCode.ASSIST_EXPIRED: now >= expires and status is AssistStatus.OPEN,
                ErrorCode.ASSIST_COMPLETED: status is AssistStatus.COMPLETED,
            }
            assert expected[refused], (refused, who, helpers, status)
            continue
        assert who != 0
        assert who not in helpers
        assert now < expires
        helpers.add(who)
        if len(helpers) == needed:
            status, completed = AssistStatus.COMPLETED, completed + 1
    assert len(helpers) <= needed
    assert completed == (1 if len(helpers) == needed else 0)


def test_refusal_codes() -> None:
    with pytest.raises(DomainError) as own:
        check_can_help(AssistStatus.OPEN, T0, 1, 1, 0, 3, False, T0 - timedelta(hours=1))
    assert own.value.code is ErrorCode.ASSIST_OWN
    with pytest.raises(DomainError) as full:
        check_can_help(AssistStatus.OPEN, T0, 1, 2, 3, 3, False, T0 - timedelta(hours=1))
    assert full.value.code is ErrorCode.ASSIST_COMPLETED
