"""`selected_paths` reads the paths off the AST once per set of field nodes (gql/engine/selection.py) and
gives what walking strawberry's `selected_fields` gives."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode, parse
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, convert_selections

from gql.engine.selection import selected_paths

DOCUMENTS = [
    "{ orders(first: 5) { totalCount edges { node { orderNo store { name } lines { sku { skuCode } } } } } }",
    """query($f: Boolean!) { orders { edges { n: node { ...O ... on Order { customer { nickname } } } } } }
       fragment O on Order { status lines @include(if: $f) { quantity product { name } } }""",
    "{ orders { pageInfo { hasNextPage } } }",
    "{ orders { __typename } }",
]


def _strawberrys(raw: Any) -> frozenset[tuple[str, ...]]:
    """The walk `selected_paths` did over strawberry's `selected_fields`."""
    found: set[tuple[str, ...]] = set()

    def walk(selections: Iterable[Any], prefix: tuple[str, ...]) -> None:
        for s in selections:
            if isinstance(s, SelectedField):
                path = (*prefix, s.name)
                found.add(path)
                walk(s.selections, path)
            elif isinstance(s, (FragmentSpread, InlineFragment)):
                walk(s.selections, prefix)

    for field in convert_selections(raw, raw.field_nodes):
        walk(field.selections, ())
    return frozenset(found)


@pytest.mark.parametrize("text", DOCUMENTS)
def test_paths_match_strawberrys_selected_fields(text: str) -> None:
    document = parse(text)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode)
    raw = SimpleNamespace(field_nodes=[root], fragments=fragments, variable_values={"f": True})
    info: Any = SimpleNamespace(_raw_info=raw)
    first = selected_paths(info)
    assert first == _strawberrys(raw)
    assert selected_paths(info) is first  # remembered for these nodes
    again = parse(text)  # the same text parsed again: other nodes, computed anew, equal
    operation = next(d for d in again.definitions if isinstance(d, OperationDefinitionNode))
    raw2 = SimpleNamespace(field_nodes=[operation.selection_set.selections[0]], fragments=fragments)
    info2: Any = SimpleNamespace(_raw_info=raw2)
    assert selected_paths(info2) == first
