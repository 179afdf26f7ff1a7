"""The schema as a contract: exported file up to date, every root field guarded, every Node fetchable."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLObjectType

from adapters.strawberry import graphql_schema_of
from gql.gate.permissions import ROOT_FIELD_AUDIENCE
from gql.resolvers.node import NODE_FETCHERS
from gql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema.as_str() + "\n", (
        "schema.graphql is out of date: run `make schema` and review the diff (it is every client's contract)"
    )


def test_every_root_field_has_an_audience() -> None:
    graphql_schema = graphql_schema_of(schema)
    roots = [
        t
        for t in (graphql_schema.query_type, graphql_schema.mutation_type, graphql_schema.subscription_type)
        if t
    ]
    fields = {f"{root.name}.{name}" for root in roots for name in root.fields}
    assert fields == set(ROOT_FIELD_AUDIENCE), "add the new root field to gql/gate/permissions.py"


def test_every_node_type_can_be_fetched_by_id() -> None:
    node_types = {
        t.name
        for t in graphql_schema_of(schema).type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    }
    assert node_types == set(NODE_FETCHERS)
