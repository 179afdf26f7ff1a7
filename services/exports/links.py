"""Signed, expiring download links: HMAC-SHA256 over the job id and the expiry time.

The key is derived from the app's secret with a fixed label, so a link's signature can never
serve as a token's and vice versa. A link is a bearer capability until it expires.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from services.signing import derive_key, mac


def link_key(secret: str) -> bytes:
    return derive_key(secret, b"mallgraph export download links v1")


def sign(key: bytes, job_id: int, expires: int) -> str:
    """The signature of `job_id` valid until `expires` (Unix seconds)."""
    return mac(key, f"{job_id}:{expires}".encode()).hex()


def verify(key: bytes, job_id: int, expires: int, signature: str, now: datetime) -> bool:
    """True when the signature is right and the link has not expired; constant-time comparison."""
    if expires <= now.timestamp():
        return False
    return hmac.compare_digest(sign(key, job_id, expires), signature)
