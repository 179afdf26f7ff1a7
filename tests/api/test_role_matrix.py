"""Role × operation: every root query and mutation, generated from the live schema, for every role.

A new field is covered the day it is added: the document and its required arguments are built
from the schema's types. A role outside the field's audience (`gql/gate/permissions.py`) must get
FORBIDDEN (UNAUTHENTICATED when anonymous) and no data; a role inside it must get past the check
— a coded error about its made-up input at most, never the audience refusal, never an internal
error. Scope and masking are checked with real rows in `test_scope_and_masking.py`.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
    is_required_argument,
    is_required_input_field,
    print_type,
)

from adapters.strawberry import graphql_schema_of
from gql.gate.documents import DocumentCache
from gql.gate.permissions import FIELD_AUDIENCE, ROOT_FIELD_AUDIENCE
from gql.schema import schema
from gql.settings import load_settings
from models.enums import Role
from tests.api.conftest import Api

SCHEMA = graphql_schema_of(schema)
ANONYMOUS_MUTATIONS = frozenset(
    {"Mutation.trackEvents", "Mutation.signIn", "Mutation.refreshSession", "Mutation.signOut"}
)
ROLES: list[Role | None] = [None, *Role]
SCALARS: dict[str, Any] = {
    "String": "x",
    "ID": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Cents": 100,
    "Date": "2026-11-01",
    "DateTime": "2026-11-01T00:00:00+00:00",
    "JSON": {},
}


def _sample(type_: GraphQLInputType) -> Any:
    """A value of the type with every required part filled in (the minimum a client must send)."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type)]
    if isinstance(type_, GraphQLScalarType):
        return SCALARS[type_.name]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLInputObjectType)
    if type_.is_one_of:
        name, field = next(iter(type_.fields.items()))
        return {name: _sample(field.type)}
    return {name: _sample(f.type) for name, f in type_.fields.items() if is_required_input_field(f)}


def _document(operation: str, name: str, field: GraphQLField) -> tuple[str, dict[str, Any]]:
    required: dict[str, GraphQLArgument] = {
        a: arg for a, arg in field.args.items() if is_required_argument(arg)
    }
    declarations = ", ".join(f"${a}: {arg.type}" for a, arg in required.items())
    arguments = ", ".join(f"{a}: ${a}" for a in required)
    returned = get_named_type(field.type)
    selection = (
        " { __typename }"
        if isinstance(returned, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType))
        else ""
    )
    text = (
        f"{operation}{f'({declarations})' if declarations else ''} "
        f"{{ {name}{f'({arguments})' if arguments else ''}{selection} }}"
    )
    return text, {a: _sample(arg.type) for a, arg in required.items()}


def _root_fields() -> list[tuple[str, str, str, GraphQLField]]:
    fields = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            fields.append((operation, root.name, name, field))
    return fields


def _caller(api: Api, role: Role | None) -> Api:
    if role is Role.SHOPPER:
        return api.as_shopper(1)
    if role is Role.STORE_STAFF:
        return api.as_staff(1)
    return api.as_role(role) if role else api


ROOT_FIELDS = _root_fields()


def test_the_matrix_covers_every_root_field_and_read_only_roles_mutate_nothing() -> None:
    subscriptions = SCHEMA.subscription_type
    assert subscriptions is not None
    # Subscriptions run over WebSocket: their matrix is in tests/api/test_subscriptions.py.
    live = {f"{subscriptions.name}.{name}" for name in subscriptions.fields}
    assert {f"{root}.{name}" for _, root, name, _ in ROOT_FIELDS} | live == set(ROOT_FIELD_AUDIENCE)
    for field, audience in ROOT_FIELD_AUDIENCE.items():
        if field.startswith("Mutation."):
            # startExport only queues a job that reads (an analyst's export is masked like the list)
            if field != "Mutation.startExport":
                assert Role.ANALYST not in audience, f"analysts are read-only, but may call {field}"
            # visitors post page views, and sign in (the refresh token is the proof for the session ones)
            if field not in ANONYMOUS_MUTATIONS:
                assert None not in audience, f"anonymous callers may call {field}"


@pytest.mark.parametrize(
    ("operation", "root", "name", "field"), ROOT_FIELDS, ids=[f"{r}.{n}" for _, r, n, _ in ROOT_FIELDS]
)
async def test_role_matrix(api: Api, operation: str, root: str, name: str, field: GraphQLField) -> None:
    text, variables = _document(operation, name, field)
    audience = ROOT_FIELD_AUDIENCE[f"{root}.{name}"]
    for role in ROLES:
        r = await _caller(api, role).execute(text, **variables)
        assert r.status == 200, (role, text, r.body)
        codes = r.error_codes
        assert "INTERNAL_SERVER_ERROR" not in codes, (role, text, r.body)
        assert "GRAPHQL_VALIDATION_FAILED" not in codes, (
            role,
            text,
            r.body,
            print_type(get_named_type(field.type)),
        )
        refusal = [e for e in r.errors if e["message"].endswith(f"use {name}")]
        if role in audience:
            assert not refusal, (role, text, r.body)
        else:
            expected = "UNAUTHENTICATED" if role is None else "FORBIDDEN"
            assert [e["extensions"]["code"] for e in refusal] == [expected], (role, text, r.body)
            assert not (r.data or {}).get(name), (role, text, r.body)


FIELD_AUDIENCE_CASES = sorted(FIELD_AUDIENCE)


@pytest.mark.parametrize("key", FIELD_AUDIENCE_CASES)
def test_restricted_fields_are_refused_at_validation_for_every_other_role(key: str) -> None:
    type_name, field_name = key.split(".")
    parent = SCHEMA.get_type(type_name)
    assert isinstance(parent, GraphQLObjectType), key
    assert any(i.name == "Node" for i in parent.interfaces), f"{key}: reach it through node(id:)"
    field = parent.fields[field_name]
    assert not any(is_required_argument(a) for a in field.args.values())
    returned = get_named_type(field.type)
    selection = " { __typename }" if isinstance(returned, GraphQLObjectType) else ""
    text = f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {field_name}{selection} }} }} }}"
    documents = DocumentCache(SCHEMA, load_settings())
    for role in ROLES:
        codes = [e.extensions["code"] for e in documents.check(text, role=role).errors if e.extensions]
        if role in FIELD_AUDIENCE[key]:
            assert codes == [], (key, role)
        else:
            assert codes == ["UNAUTHENTICATED" if role is None else "FORBIDDEN"], (key, role)
