"""Hypothesis strategies for whole GraphQL requests generated from the live schema.

`requests()` draws a document from `hypothesis_graphql` (valid against the schema, or with one
schema violation) and lifts a random subset of its arguments into declared variables, so both
literal coercion and variable coercion are exercised. Scalars are drawn with an attacker's taste:
ids of rows that exist beside ids past 64 bits and garbage, page sizes around the limit,
strings with NUL, quotes, wildcards and the query language, cents past 2^63.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DocumentNode,
    FloatValueNode,
    GraphQLSchema,
    IntValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from adapters.strawberry import graphql_schema_of
from gql.schema import schema

SCHEMA: GraphQLSchema = graphql_schema_of(schema)
NODE_TYPES: tuple[str, ...] = tuple(
    sorted(
        name
        for name, t in SCHEMA.type_map.items()
        if any(i.name == "Node" for i in getattr(t, "interfaces", ()))
    )
)

EDGE_INTEGERS = (0, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30)
"""Around every width a driver or a database column has."""

EDGE_STRINGS = (
    "",
    " ",
    "\x00",
    "SH\x00",
    "%",
    "_%_",
    "'; DROP TABLE orders; --",
    '"\\',
    "桔子",
    "😀" * 3,
    "status:SHIPPED store:1",
    "status:(",
    "phone:138",
    "\u202e\u200b",
    "x" * 1_000,
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


def global_ids() -> st.SearchStrategy[str]:
    """Mostly ids of real rows (1…4 of every type), then ids past every integer width, then junk."""
    real = st.builds(lambda t, pk: _b64(f"{t}:{pk}"), st.sampled_from(NODE_TYPES), st.integers(1, 4))
    wide = st.builds(
        lambda t, pk: _b64(f"{t}:{pk}"), st.sampled_from(NODE_TYPES), st.sampled_from(EDGE_INTEGERS)
    )
    odd = st.builds(
        lambda t, text: _b64(f"{t}:{text}"),
        st.sampled_from(NODE_TYPES),
        st.sampled_from(["", "1e5", " 1", "١", "0x10", "1.0", "abc", "1:2"]) | st.text(max_size=8),
    )
    junk = st.text(max_size=24)
    return st.one_of(real, real, wide, odd, junk)


def _int_node(n: int) -> ValueNode:
    return IntValueNode(value=str(n))


def _string_node(text: str) -> ValueNode:
    return StringValueNode(value=text)


QUERY_WORDS = (
    "status:", "待发货", "SHIPPED,COMPLETED", "store:", "SH001", "storeid:", "9223372036854775808",
    "created:", ">=", "2026-11-01", "..", "2026-11-01T08:00", "paid:", "total:", ">100", "50..99.99",
    "phone:", "1234", "no:", "2026112*", "campaign:", "aftersale:", "PENDING_REVIEW", "sku:", "-",
    "OR", "AND", "NOT", "(", ")", '"', "*", ":", ",", "桔子", "fulfillment:", "SELF_PICKUP",
)  # fmt: skip
"""Pieces of the order query language (`query:` arguments), put together in any order."""


def query_strings() -> st.SearchStrategy[str]:
    """Search-language texts: its words in any order, glued or spaced."""
    words = st.lists(st.sampled_from(QUERY_WORDS), max_size=15)
    return st.builds(lambda ws, glue: glue.join(ws), words, st.sampled_from(["", " "]))


def strings() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(EDGE_STRINGS), st.text(max_size=30), query_strings())


def _json_values() -> st.SearchStrategy[ValueNode]:
    leaves: st.SearchStrategy[ValueNode] = st.one_of(
        st.integers(-(2**70), 2**70).map(_int_node),
        strings().map(_string_node),
        st.booleans().map(lambda b: BooleanValueNode(value=b)),
        st.just(NullValueNode()),
    )
    return st.recursive(
        leaves,
        lambda inner: st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3).map(
            lambda d: ObjectValueNode(
                fields=tuple(ObjectFieldNode(name=NameNode(value=k), value=v) for k, v in d.items())
            )
        ),
        max_leaves=5,
    )


def custom_scalars() -> dict[str, st.SearchStrategy[ValueNode]]:
    """Value nodes per scalar: the built-in ones are replaced too, to aim at the edges."""
    small = st.integers(-3, 110)  # page sizes around MAX_PAGE_SIZE, quantities, ratings
    ints = st.one_of(small, small, st.sampled_from((0, -(2**31), 2**31 - 1))).map(_int_node)
    dates = st.dates().map(lambda d: d.isoformat()) | st.sampled_from(["2026-02-30", "0000-01-01", "x"])
    stamps = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | st.sampled_from(
        ["2026-11-01T00:00:00", "9999-12-31T23:59:59+14:00", "yesterday"]
    )
    return {
        "Int": ints,
        "Float": st.floats(allow_nan=False, allow_infinity=False).map(
            lambda f: FloatValueNode(value=repr(f))
        ),
        "String": strings().map(_string_node),
        "ID": global_ids().map(_string_node),
        "Cents": st.one_of(st.integers(-10, 10**6), st.sampled_from(EDGE_INTEGERS)).map(_int_node),
        "Date": dates.map(_string_node),
        "DateTime": stamps.map(_string_node),
        "JSON": _json_values(),
    }


@dataclass(frozen=True)
class Request:
    query: str
    variables: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables}


class _Lift(Visitor):
    """Replaces chosen arguments by `$vN` and collects their declarations and JSON values."""

    def __init__(self, type_info: TypeInfo, rng: random.Random) -> None:
        super().__init__()
        self.type_info = type_info
        self.rng = rng
        self.definitions: list[VariableDefinitionNode] = []
        self.values: dict[str, Any] = {}

    def enter_argument(self, node: ArgumentNode, *_: Any) -> ArgumentNode | None:
        argument = self.type_info.get_argument()
        if argument is None or isinstance(node.value, VariableNode) or self.rng.random() < 0.5:
            return None
        name = f"v{len(self.definitions)}"
        variable = VariableNode(name=NameNode(value=name))
        self.definitions.append(
            VariableDefinitionNode(variable=variable, type=parse_type(str(argument.type)), directives=())
        )
        self.values[name] = value_from_ast_untyped(node.value)
        return ArgumentNode(name=node.name, value=variable)


def lift_to_variables(text: str, rng: random.Random) -> Request:
    """The same operation with some of its argument literals sent as variables instead."""
    document = parse(text)
    lift = _Lift(TypeInfo(SCHEMA), rng)
    lifted: DocumentNode = visit(document, TypeInfoVisitor(lift.type_info, lift))
    if not lift.definitions:
        return Request(text, {})
    operations = [d for d in lifted.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1, text
    operation = operations[0]
    with_variables = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=(*(operation.variable_definitions or ()), *lift.definitions),
        directives=operation.directives,
        selection_set=operation.selection_set,
    )
    return Request(print_ast(DocumentNode(definitions=(with_variables,))), lift.values)


def documents(mode: Mode) -> st.SearchStrategy[str]:
    return from_schema(SCHEMA, custom_scalars=custom_scalars(), mode=mode)


def requests() -> st.SearchStrategy[Request]:
    """Valid documents three times out of four, documents with one schema violation otherwise."""
    texts = st.one_of(
        documents(Mode.POSITIVE), documents(Mode.POSITIVE), documents(Mode.POSITIVE), documents(Mode.NEGATIVE)
    )
    return st.builds(lift_to_variables, texts, st.randoms(use_true_random=False))
