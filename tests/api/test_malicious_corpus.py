"""Hundreds of abusive requests: each refused with its stable code, and not one resolver ran."""

from __future__ import annotations

from collections import Counter

import orjson

from gql.gate.limits import COUNTERS
from models.enums import Role
from tests.api.conftest import Api
from tests.api.gated_app import gated_api
from tests.api.malicious_corpus import Attack, corpus


def _caller(api: Api, role: Role | None) -> Api:
    if role is Role.SHOPPER:
        return api.as_shopper(1)
    if role is Role.STORE_STAFF:
        return api.as_staff(1)
    return api.as_role(role) if role else api


def _codes(body: object) -> list[str]:
    if not isinstance(body, dict):
        return []
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def test_every_malicious_document_is_refused_before_execution() -> None:
    attacks = corpus()
    assert len(attacks) >= 500
    executions = COUNTERS.executions
    rejections = sum(COUNTERS.rejections.values())
    wrong: list[tuple[Attack, int, list[str]]] = []
    async with gated_api(environment="prod") as api:
        for attack in attacks:
            caller = _caller(api, attack.role)
            headers = {"content-type": "application/json"}
            if caller.token:
                headers["authorization"] = f"Bearer {caller.token}"
            r = await api.http.post("/graphql", content=orjson.dumps(attack.body), headers=headers)
            codes = _codes(r.json())
            if r.status_code != attack.status or attack.code not in codes or r.json().get("data") is not None:
                wrong.append((attack, r.status_code, codes))
    assert not wrong, [(w[0].family, w[0].code, w[1], w[2]) for w in wrong[:5]]
    assert COUNTERS.executions == executions, "a resolver ran for a refused document"
    assert sum(COUNTERS.rejections.values()) - rejections == len(attacks)
    families = Counter(a.family for a in attacks)
    assert len(families) >= 10


async def test_the_same_abuse_twice_is_answered_from_the_document_cache() -> None:
    text = "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(40)) + " }"
    async with gated_api() as api:
        parses = COUNTERS.parses
        for _ in range(5):
            r = await api.execute(text)
            assert r.error_codes == ["MAX_ALIASES_EXCEEDED"]
        assert COUNTERS.parses == parses + 1
