"""Helpers shared by the back-office API tests (issue 9): payload checks and key minting."""

from __future__ import annotations

import itertools
from typing import Any

from gql.gate.auth import mint_token
from gql.ids import encode_id
from models.enums import Role
from tests.api.conftest import Api, Response

_keys = itertools.count(1)

ERRORS = "userErrors { code field message }"


def key() -> str:
    return f"bo-key-{next(_keys)}"


def payload(r: Response, field: str) -> dict[str, Any]:
    """The payload of a successful mutation (fails the test with the errors otherwise)."""
    assert r.errors == [], r.errors
    body: dict[str, Any] = r.data[field]
    assert body["userErrors"] == [], body["userErrors"]
    return body


def refusal(r: Response, field: str) -> list[tuple[str, str | None]]:
    """(code, dotted field path without `input.`) of each userError of a refused mutation."""
    assert r.errors == [], r.errors
    errors = r.data[field]["userErrors"]
    assert errors, f"{field} was not refused"
    return [(e["code"], ".".join(e["field"][1:]) if e["field"] else None) for e in errors]


def gid(type_name: str, pk: int) -> str:
    return encode_id(type_name, pk)


def as_account(
    api: Api, username: str, role: Role = Role.STORE_STAFF, store_ids: list[int] | None = None
) -> Api:
    """A client whose token subject is `username` (a staff account acting as itself)."""
    token = mint_token(api.settings, role, username, store_ids=store_ids)
    return Api(api.http, api.settings, api.gateway, token)


def mutation(name: str, input_type: str, selection: str) -> str:
    """`mutation($input: T!) { name(input: $input) { <selection> userErrors { … } } }`."""
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"
