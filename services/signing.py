"""HMAC-SHA256 with keys derived from the app's secret, one key per labelled purpose.

Each feature that signs something (export download links, visitor ids) derives its own key from
the secret with a fixed label, so a signature made for one purpose never verifies for another.
"""

from __future__ import annotations

import hashlib
import hmac


def derive_key(secret: str, label: bytes) -> bytes:
    """The key of `label`'s purpose: HMAC-SHA256 of the label under the app's secret."""
    return hmac.new(secret.encode(), label, hashlib.sha256).digest()


def mac(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of `message` under `key` (the full 32 bytes; callers may truncate)."""
    return hmac.new(key, message, hashlib.sha256).digest()
