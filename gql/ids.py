"""Relay global ids ("Type:pk", base64) ⇄ integer primary keys, with coded errors.

A key is written as `encode_id` writes it: ASCII digits, no sign, spaces, underscores or leading
zeros, between 1 and 2^63 − 1 (a BIGINT). Anything else names no row that can exist, so it is
refused as BAD_USER_INPUT before it reaches a statement the database would refuse.
"""

from __future__ import annotations

import re
from typing import Final

from strawberry.relay import GlobalID, GlobalIDValueError

from models.errors import DomainError, ErrorCode

MAX_PK: Final = 2**63 - 1
_PK: Final = re.compile(r"[1-9][0-9]{0,18}")


def parse_global_id(value: str, field: str = "id") -> GlobalID:
    try:
        return GlobalID.from_id(value)
    except GlobalIDValueError:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{value!r} is not a valid id", field) from None


def primary_key(gid: GlobalID, field: str = "id") -> int:
    """The key inside `gid`, of any type; a number no BIGINT key can hold is BAD_USER_INPUT."""
    node_id = gid.node_id
    if _PK.fullmatch(node_id) is None or int(node_id) > MAX_PK:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{field} is not a valid {gid.type_name} id", field)
    return int(node_id)


def decode_id(value: str, type_name: str, field: str = "id") -> int:
    """The primary key inside a global id of `type_name`; a wrong type or garbage is a coded error."""
    gid = parse_global_id(value, field)
    if gid.type_name != type_name:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"{field} must be an id of type {type_name}, not {gid.type_name}", field
        )
    return primary_key(gid, field)


def encode_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))
