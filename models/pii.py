"""Masking of personal data (phones, addresses) for roles that may not see it in full.

Who sees what (SPEC §1, issue 8): HQ_ADMIN everything; STORE_STAFF the full values of their own
stores' orders and customers; SHOPPER their own (scope already limits them to it); ANALYST and
anyone else only masked values. One pure function decides, every field asks it.
"""

from __future__ import annotations

from models.enums import Role
from models.principals import Principal


def sees_full_pii(principal: Principal, store_id: int | None = None) -> bool:
    """May this caller see full phones and addresses of a row reached through their own scope?

    `store_id` is the store that owns the row (an order's store); None when the row has no single
    store (a customer, whose visibility scope already limits staff to their stores' customers).
    """
    if principal.role in (Role.HQ_ADMIN, Role.SHOPPER):
        return True
    if principal.role is Role.STORE_STAFF:
        return store_id is None or store_id in principal.store_ids
    return False


def mask_address(address: str) -> str:
    """世纪大道100号3栋502 → 世纪大道****: at most the first third (and six characters), never the door."""
    keep = min(6, len(address) // 3)
    return f"{address[:keep]}****"


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234: enough to recognise, not enough to call."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def phone_last4(phone: str) -> str:
    """The 尾号 used by admin search; stored so that search by last four digits can use an index."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-4:]


def mask_name(name: str) -> str:
    """张小明 → 张**: the family name only."""
    return f"{name[:1]}**" if name else name
