"""Optimistic locking: a stale `expectedVersion` is VERSION_CONFLICT, naming both versions."""

from __future__ import annotations

import pytest

from models.errors import DomainError, ErrorCode, check_version


def test_no_expectation_or_the_current_version_passes() -> None:
    check_version("claim", 3, None)
    check_version("claim", 3, 3)


@pytest.mark.parametrize("expected", [0, 2, 4])
def test_any_other_version_is_a_conflict(expected: int) -> None:
    with pytest.raises(DomainError) as info:
        check_version("escalation", 3, expected)
    assert (info.value.code, info.value.field) == (ErrorCode.VERSION_CONFLICT, "expectedVersion")
    assert info.value.message == f"escalation is at version 3, not {expected}: reload it"
