"""Masking of personal data (phones, addresses) for roles that may not see it in full."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234: enough to recognise, not enough to call."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def phone_last4(phone: str) -> str:
    """The 尾号 used by admin search; stored so that search by last four digits can use an index."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-4:]
