"""The one store-applicability rule of campaigns (scope and opt-in) and why a store may not opt."""

from __future__ import annotations

import itertools

import pytest

from models.campaigns.scope import OPT_IN_TYPES, applies_at_store, check_can_opt, check_opt_in_setting
from models.enums import CampaignStatus, CampaignType
from models.errors import DomainError, ErrorCode


@pytest.mark.parametrize(
    ("all_stores", "in_scope", "opt_in", "opted_in"), list(itertools.product((False, True), repeat=4))
)
def test_a_store_takes_a_campaign_in_its_scope_and_opted_in_when_required(
    all_stores: bool, in_scope: bool, opt_in: bool, opted_in: bool
) -> None:
    expected = (all_stores or in_scope) and (opted_in or not opt_in)
    assert applies_at_store(7, all_stores, in_scope, opt_in, opted_in) is expected
    # An order without a store (HQ) takes only campaigns of every store that need no opt-in.
    assert applies_at_store(None, all_stores, in_scope, opt_in, opted_in) is (all_stores and not opt_in)


def _code(campaign_type: CampaignType, opt_in: bool, status: CampaignStatus, in_scope: bool) -> str | None:
    try:
        check_can_opt(campaign_type, opt_in, status, in_scope)
    except DomainError as error:
        return error.code
    return None


def test_opting_needs_an_open_opt_in_campaign_in_scope() -> None:
    cut, ongoing = CampaignType.PRICE_CUT, CampaignStatus.ONGOING
    assert _code(cut, True, ongoing, True) is None
    assert _code(cut, True, CampaignStatus.NOT_STARTED, True) is None
    assert _code(cut, False, ongoing, True) == ErrorCode.CAMPAIGN_NOT_OPT_IN
    assert _code(CampaignType.GROUP_BUY, True, ongoing, True) == ErrorCode.CAMPAIGN_NOT_OPT_IN
    assert _code(cut, True, CampaignStatus.ENDED, True) == ErrorCode.CAMPAIGN_ENDED
    assert _code(cut, True, CampaignStatus.STOPPED, True) == ErrorCode.CAMPAIGN_ENDED
    assert _code(cut, True, ongoing, False) == ErrorCode.STORE_NOT_IN_CAMPAIGN


def test_only_hq_creates_opt_in_campaigns_of_the_priced_types() -> None:
    for t in CampaignType:
        check_opt_in_setting(t, False, by_hq=False)
        if t in OPT_IN_TYPES:
            check_opt_in_setting(t, True, by_hq=True)
        else:
            with pytest.raises(DomainError) as bad:
                check_opt_in_setting(t, True, by_hq=True)
            assert (bad.value.code, bad.value.field) == (ErrorCode.BAD_USER_INPUT, "optIn")
    with pytest.raises(DomainError) as staff:
        check_opt_in_setting(CampaignType.PRICE_CUT, True, by_hq=False)
    assert staff.value.code == ErrorCode.FORBIDDEN
