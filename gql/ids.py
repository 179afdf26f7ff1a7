"""Relay global ids ("Type:pk", base64) ⇄ integer primary keys, with coded errors."""

from __future__ import annotations

from strawberry.relay import GlobalID, GlobalIDValueError

from models.errors import DomainError, ErrorCode


def parse_global_id(value: str, field: str = "id") -> GlobalID:
    try:
        return GlobalID.from_id(value)
    except GlobalIDValueError:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{value!r} is not a valid id", field) from None


def decode_id(value: str, type_name: str, field: str = "id") -> int:
    """The primary key inside a global id of `type_name`; a wrong type or garbage is a coded error."""
    gid = parse_global_id(value, field)
    if gid.type_name != type_name:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"{field} must be an id of type {type_name}, not {gid.type_name}", field
        )
    try:
        return int(gid.node_id)
    except ValueError:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"{value!r} is not a valid {type_name} id", field
        ) from None


def encode_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))
