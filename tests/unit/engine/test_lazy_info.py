"""`LazyInfo`: resolvers see the same `Info` as under graphql-core, built only when read past `context`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import strawberry

from adapters.strawberry import ExecutorBase, raw_info_of
from gql.engine.execution import LevelFirstExecutor


@dataclass
class Context:
    tag: str


@strawberry.type
class Leaf:
    n: int

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        path = ".".join(str(p) for p in info.path.as_list())
        parent = raw_info_of(info).parent_type.name
        return f"{path}|{info.field_name}|{info.python_name}|{parent}|{info.context.tag}"

    @strawberry.field
    def tag(self, info: strawberry.Info) -> str:
        return f"{info.context.tag}{self.n}"


@strawberry.type
class Query:
    @strawberry.field
    def leaves(self) -> list[Leaf]:
        return [Leaf(n=1), Leaf(n=2)]


LEVEL_FIRST = strawberry.Schema(query=Query, execution_context_class=LevelFirstExecutor)
GRAPHQL_CORE = strawberry.Schema(query=Query, execution_context_class=ExecutorBase)


async def run(schema: strawberry.Schema, document: str) -> Any:
    result = await schema.execute(document, context_value=Context(tag="t"))
    assert result.errors is None
    return result.data


async def test_a_resolver_reading_the_path_and_names_gets_what_graphql_core_gives() -> None:
    document = "{ leaves { n where alias: where } }"
    assert await run(LEVEL_FIRST, document) == await run(GRAPHQL_CORE, document)
    assert (await run(LEVEL_FIRST, document))["leaves"][1] == {
        "n": 2,
        "where": "leaves.1.where|where|where|Leaf|t",
        "alias": "leaves.1.alias|where|where|Leaf|t",
    }


@pytest.mark.parametrize(("document", "built"), [("{ leaves { tag } }", 0), ("{ leaves { where } }", 2)])
async def test_resolve_infos_are_built_only_for_resolvers_that_read_past_context(
    monkeypatch: pytest.MonkeyPatch, document: str, built: int
) -> None:
    calls: list[str] = []
    build = LevelFirstExecutor.build_resolve_info

    def counting(self: LevelFirstExecutor, field_def: Any, *args: Any) -> Any:
        calls.append(args[1].name)  # the parent type
        return build(self, field_def, *args)

    monkeypatch.setattr(LevelFirstExecutor, "build_resolve_info", counting)
    assert await run(LEVEL_FIRST, document) == await run(GRAPHQL_CORE, document)
    assert calls.count("Leaf") == built
