"""The pure template and restore rules of coupons (models/coupons/rules.py), without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.coupons.rules import (
    CouponRestorePolicy,
    CouponStatus,
    CouponTerms,
    CouponThreshold,
    CouponType,
    TemplateShape,
    check_update,
    check_usable,
    restores_on_refund,
)
from models.errors import DomainError, ErrorCode

P = CouponRestorePolicy
SHAPE = TemplateShape(
    type=CouponType.ALL,
    amount_off=500,
    percent_off=None,
    cap=None,
    threshold_kind=CouponThreshold.AMOUNT,
    threshold=5000,
    total_stock=100,
    per_customer_limit=1,
    valid_from=None,
    valid_until=datetime(2099, 1, 1, tzinfo=UTC),
    valid_days=None,
    store_ids=None,
    campaign_id=None,
)


@pytest.mark.parametrize(
    ("policy", "everything_back", "completed", "restored"),
    [
        (P.NEVER, True, False, False),
        (P.NEVER, True, True, False),
        (P.FULL_REFUND_BEFORE_COMPLETION, True, False, True),
        (P.FULL_REFUND_BEFORE_COMPLETION, True, True, False),
        (P.FULL_REFUND, True, False, True),
        (P.FULL_REFUND, True, True, True),
    ],
)
def test_the_restore_table(policy: P, everything_back: bool, completed: bool, restored: bool) -> None:
    assert restores_on_refund(policy, everything_back=everything_back, completed=completed) is restored


@given(st.sampled_from(P), st.booleans())
def test_a_partial_refund_never_restores(policy: P, completed: bool) -> None:
    assert not restores_on_refund(policy, everything_back=False, completed=completed)


@given(st.sampled_from(P), st.booleans(), st.booleans())
def test_policies_are_ordered_by_generosity(policy: P, back: bool, completed: bool) -> None:
    """Whatever NEVER restores, the default restores; whatever the default restores, FULL_REFUND does."""
    ladder = [P.NEVER, P.FULL_REFUND_BEFORE_COMPLETION, P.FULL_REFUND]
    for stricter, wider in pairwise(ladder):
        if restores_on_refund(stricter, everything_back=back, completed=completed):
            assert restores_on_refund(wider, everything_back=back, completed=completed)


def test_the_default_is_the_spec_rule() -> None:
    assert SHAPE.restore_on_refund is P.FULL_REFUND_BEFORE_COMPLETION


def test_the_policy_changes_freely_until_coupons_are_issued_then_is_frozen() -> None:
    never = dataclasses.replace(SHAPE, restore_on_refund=P.NEVER)
    check_update(SHAPE, never, issued=0)
    with pytest.raises(DomainError) as refused:
        check_update(SHAPE, never, issued=1)
    assert (refused.value.code, refused.value.field) == (ErrorCode.COUPON_NOT_EDITABLE, "restoreOnRefund")
    # what may still change does, with the policy as it was
    later = dataclasses.replace(SHAPE, valid_until=datetime(2099, 1, 2, tzinfo=UTC))
    check_update(SHAPE, later, issued=1)


def test_scenes_refuse_another_fulfilment_with_their_own_code() -> None:
    terms = CouponTerms(1, CouponType.ALL, "自提券", amount_off=500, fulfillments=frozenset({"SELF_PICKUP"}))
    now = datetime(2026, 12, 6, tzinfo=UTC)
    check_usable(terms, CouponStatus.UNUSED, 1, "MINI_PROGRAM", now, "couponIds.0", "SELF_PICKUP")
    check_usable(terms, CouponStatus.UNUSED, 1, "MINI_PROGRAM", now, "couponIds.0")  # scene not known yet
    with pytest.raises(DomainError) as refused:
        check_usable(terms, CouponStatus.UNUSED, 1, "MINI_PROGRAM", now, "couponIds.0", "STORE_DELIVERY")
    assert (refused.value.code, refused.value.field) == (ErrorCode.COUPON_NOT_APPLICABLE, "couponIds.0")
    anywhere = CouponTerms(2, CouponType.ALL, "全场券", amount_off=500)
    check_usable(anywhere, CouponStatus.UNUSED, 1, "MINI_PROGRAM", now, "couponIds.0", "EXPRESS")
