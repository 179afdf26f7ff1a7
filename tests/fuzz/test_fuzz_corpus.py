"""The corpus replayed against a seeded database: each attack refused with its stable code, within a
budget of counted work, and a normal query answered after every family.

Work is counted, not timed: SQL statements (`services.db.count_statements`), operations that
reached the executor, parses and validations (`gql.gate.limits.COUNTERS`). Almost every attack is
refused before execution — no statement, no resolver; those refused by the document's shape never
reach graphql-core's validation; ids past 64 bits are refused by the resolver decoding them, before
its first query (`BUDGETS`). Time is only a sanity bound (`SANITY_SECONDS`), in CPU seconds of
this process, so other work on the machine does not move it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import orjson

from gql.gate.limits import COUNTERS
from models.enums import Role
from services.db import count_statements
from tests.api.malicious_corpus import Attack, corpus, directive_floods, merge_floods
from tests.api.malicious_corpus_issue21 import fuzz_findings, issue21_attacks
from tests.fuzz.checks import codes, post, problems, still_answers
from tests.fuzz.conftest import FuzzApp

SANITY_SECONDS = 1.0


@dataclass(frozen=True)
class Budget:
    statements: int = 0
    executions: int = 0
    parses: int = 1
    validations: int = 1


BEFORE_EXECUTION = Budget()
"""Refused by the gate, the HTTP guard or the argument checks: one parse and one validation at
most, no statement, no resolver."""

BEFORE_VALIDATION = Budget(validations=0)
"""Refused by the document's shape (`gql/gate/shape.py`): graphql-core's validation never sees it."""

WHILE_READING_INPUT = Budget(statements=2, executions=1)
"""Refused by a resolver decoding its ids: it ran, but before any query of its own (a mutation's
two statements are its unit of work's idempotency bookkeeping)."""

BUDGETS: dict[str, Budget] = {
    "fragment bomb": BEFORE_VALIDATION,
    "merge flood": BEFORE_VALIDATION,
    "64-bit id": WHILE_READING_INPUT,
}


@dataclass(frozen=True)
class Work:
    statements: int
    executions: int
    parses: int
    validations: int
    seconds: float

    def over(self, budget: Budget) -> list[str]:
        return [
            f"{name} {spent} > {allowed}"
            for name, spent, allowed in (
                ("statements", self.statements, budget.statements),
                ("executions", self.executions, budget.executions),
                ("parses", self.parses, budget.parses),
                ("validations", self.validations, budget.validations),
                ("cpu seconds", self.seconds, SANITY_SECONDS),
            )
            if spent > allowed
        ]


def user_error_codes(value: Any) -> Iterator[str]:
    """Codes of every `userErrors` entry anywhere in the data (how mutations refuse)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "userErrors" and isinstance(inner, list):
                yield from (e["code"] for e in inner if isinstance(e, dict) and "code" in e)
            else:
                yield from user_error_codes(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from user_error_codes(inner)


async def replay(app: FuzzApp, attack: Attack) -> tuple[int, bytes, Work]:
    caller = app.caller(attack.role)
    before = (COUNTERS.executions, COUNTERS.parses, COUNTERS.validations)
    started = time.process_time()
    with count_statements() as statements:
        status, raw = await post(caller, attack.body)
    seconds = time.process_time() - started
    executions, parses, validations = (
        COUNTERS.executions - before[0],
        COUNTERS.parses - before[1],
        COUNTERS.validations - before[2],
    )
    return status, raw, Work(statements.count, executions, parses, validations, seconds)


def verdict(attack: Attack, status: int, raw: bytes, work: Work) -> list[str]:
    """What is wrong with the answer to `attack` (empty: refused as it must be)."""
    wrong = problems(status, raw)
    if status != attack.status:
        wrong.append(f"HTTP {status}, not {attack.status}")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return wrong
    found = [*codes(body), *user_error_codes(body.get("data") if isinstance(body, dict) else None)]
    if attack.code not in found:
        wrong.append(f"codes {found}, not {attack.code}")
    return wrong + work.over(BUDGETS.get(attack.family, BEFORE_EXECUTION))


def _families(attacks: list[Attack]) -> Iterator[tuple[str, list[Attack]]]:
    for family, group in groupby(attacks, key=lambda a: a.family):
        yield family, list(group)


async def _replay_all(app: FuzzApp, attacks: list[Attack]) -> list[str]:
    """Replays with the heap so far frozen, as a served process runs (`gql.engine.freeze_startup_heap`):
    a full collection inside a request then walks what the request made, not what earlier tests left
    in this worker, and the CPU bound measures the refusal itself."""
    gc.collect()
    gc.freeze()
    try:
        return await _replay_frozen(app, attacks)
    finally:
        gc.unfreeze()


async def _replay_frozen(app: FuzzApp, attacks: list[Attack]) -> list[str]:
    wrong: list[str] = []
    for family, group in _families(attacks):
        for attack in group:
            status, raw, work = await replay(app, attack)
            for problem in verdict(attack, status, raw, work):
                wrong.append(f"{family} as {attack.role}: {problem} — {raw[:300]!r}")
        for role in {None, *(a.role for a in group)}:
            if not await still_answers(app.caller(role)):
                wrong.append(f"after {family}: the normal query failed as {role}")
    return wrong


async def test_the_attacks_of_issue_21_are_refused_cheaply_with_stable_codes(fuzz_app: FuzzApp) -> None:
    attacks = issue21_attacks()
    assert len({a.family for a in attacks}) == 7
    wrong = await _replay_all(fuzz_app, attacks)
    assert not wrong, "\n".join(wrong)


async def test_what_the_fuzz_suite_found_stays_fixed(fuzz_app: FuzzApp) -> None:
    wrong = await _replay_all(fuzz_app, fuzz_findings())
    assert not wrong, "\n".join(wrong)


async def test_the_classic_corpus_is_refused_before_execution(fuzz_app: FuzzApp) -> None:
    attacks = [*corpus(), *directive_floods(), *merge_floods()]
    wrong = await _replay_all(fuzz_app, attacks)
    assert not wrong, "\n".join(wrong[:20])


async def test_a_refusal_repeated_costs_no_parse(fuzz_app: FuzzApp) -> None:
    """Refused documents are remembered by hash: the second time is a cache lookup."""
    for attack in issue21_attacks()[:1] + directive_floods()[:1]:
        await replay(fuzz_app, attack)
        status, raw, work = await replay(fuzz_app, attack)
        assert (work.parses, work.validations, work.statements) == (0, 0, 0), (attack.family, work)
        assert not problems(status, raw)


def test_every_role_is_in_the_corpus() -> None:
    roles = {a.role for a in [*issue21_attacks(), *corpus()]}
    assert {None, Role.SHOPPER, Role.HQ_ADMIN} <= roles
