"""Money is integer cents (分) everywhere; this turns cents into the exact decimal string at the edge."""

from __future__ import annotations

CURRENCY = "CNY"


def format_cents(cents: int) -> str:
    """12345 → "123.45", -5 → "-0.05": exact, no floats involved."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"
