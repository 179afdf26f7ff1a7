"""What adapters/sqlalchemy.py relies on in SQLAlchemy's compiler, pinned (no database needed)."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from sqlalchemy import Column, Dialect, Integer, MetaData, String, Table, TypeDecorator, bindparam, select
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sqlalchemy import TESTED_VERSION, bound_statement, greenlet_spawn, result_processors

INSTALLED = version("SQLAlchemy")
UPGRADED = f"SQLAlchemy {INSTALLED} (adapters/sqlalchemy.py was checked against {TESTED_VERSION})"

INT4, TEXT = 23, 25  # PostgreSQL type OIDs


class Shouting(TypeDecorator[str]):
    """Upper-case on the way in, lower-case on the way out: both processors are visible."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.upper()

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value).lower()


SHOPS = Table("shops", MetaData(), Column("id", Integer), Column("name", Shouting()))
ENGINE = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # never connects


def test_the_installed_version_is_the_one_checked() -> None:
    assert INSTALLED == TESTED_VERSION, (
        f"{UPGRADED}: run the tests of this module; when they pass, set TESTED_VERSION to {INSTALLED}"
    )


def test_a_statement_is_compiled_once_and_its_arguments_bound_in_order() -> None:
    stmt = select(SHOPS.c.id, SHOPS.c.name).where(SHOPS.c.name == bindparam("name"), SHOPS.c.id > 3)
    sql, args, compiled = bound_statement(ENGINE, stmt, {"name": "west"})
    assert "$1" in sql, f"{UPGRADED}: {sql}"
    assert "$2" in sql, f"{UPGRADED}: {sql}"
    assert ":name" not in sql, f"{UPGRADED}: {sql}"
    assert args == ["WEST", 3], f"{UPGRADED}: the bind processor or the order changed: {args}"
    again = bound_statement(ENGINE, stmt, {"name": "east"})
    assert again[2] is compiled, f"{UPGRADED}: the engine's compiled cache is no longer used"
    assert again[1] == ["EAST", 3], UPGRADED


def test_an_expanding_list_is_rendered_per_length() -> None:
    stmt = select(SHOPS.c.id).where(SHOPS.c.id.in_(bindparam("ids", expanding=True)))
    sql, args, _ = bound_statement(ENGINE, stmt, {"ids": [4, 5, 6]})
    assert args == [4, 5, 6], f"{UPGRADED}: {sql} {args}"
    assert "$3" in sql, f"{UPGRADED}: {sql} {args}"
    assert "$4" not in sql, f"{UPGRADED}: {sql} {args}"


def test_result_columns_get_their_type_s_processor() -> None:
    _, _, compiled = bound_statement(ENGINE, select(SHOPS.c.id, SHOPS.c.name), None)
    by_id, by_name = result_processors(compiled, [INT4, TEXT], ENGINE.dialect)
    assert by_id is None, f"{UPGRADED}: integers now have a result processor"
    assert by_name is not None, UPGRADED
    assert by_name("WEST") == "west", UPGRADED
    try:
        result_processors(compiled, [INT4], ENGINE.dialect)
    except RuntimeError:
        pass
    else:
        raise AssertionError(f"{UPGRADED}: a column count mismatch went unnoticed")


async def test_greenlet_spawn_runs_a_sync_call() -> None:
    assert await greenlet_spawn(lambda: 42) == 42, UPGRADED
