"""strawberry internals that the level-first engine (gql/engine/) and the app rely on.

strawberry's public API builds and runs a schema; the engine also subclasses the executor it
runs, reads the graphql-core objects under its `Schema` and `Info`, builds an `Info` itself and
tells strawberry's own `is_type_of` from a user's. This module is the one place that names them:

- `ExecutorBase`: strawberry's graphql-core execution context (`execution_context_class`'s default);
- `graphql_schema_of` / `strawberry_schema_of`: the graphql-core schema under a strawberry `Schema`,
  and back;
- `raw_info_of` / `make_info`: the graphql-core resolve info under an `Info`, and an `Info` over one;
- `field_definition`: the `StrawberryField` behind a graphql-core field;
- `is_strawberry_is_type_of`: whether an `is_type_of` is the `isinstance` check strawberry
  generates (it never reads its info and returns a bool).

tests/unit/adapters/test_strawberry.py pins all of it against `TESTED_VERSION`.
"""

from __future__ import annotations

from typing import Any, cast

import strawberry
from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info
from strawberry.types.field import StrawberryField

__all__ = [
    "TESTED_VERSION",
    "ExecutorBase",
    "field_definition",
    "graphql_schema_of",
    "is_strawberry_is_type_of",
    "make_info",
    "raw_info_of",
    "strawberry_schema_of",
]

TESTED_VERSION = "0.341.2"

ExecutorBase = StrawberryGraphQLCoreExecutionContext
"""The execution context strawberry runs operations with (its `build_resolve_info` included)."""


def graphql_schema_of(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema a strawberry `Schema` executes."""
    return schema._schema


def strawberry_schema_of(schema: GraphQLSchema) -> strawberry.Schema | None:
    """The strawberry `Schema` a graphql-core schema was built by (None: not built by strawberry)."""
    return cast("strawberry.Schema | None", getattr(schema, "_strawberry_schema", None))


def raw_info_of(info: Info) -> GraphQLResolveInfo[Any]:
    """The graphql-core resolve info a strawberry `Info` wraps."""
    return info._raw_info


def make_info(info_class: type[Info], raw: GraphQLResolveInfo[Any], field: StrawberryField) -> Info:
    """The `Info` strawberry gives `field`'s resolver for the resolve info `raw`."""
    return info_class(_raw_info=raw, _field=field)


def field_definition(field_def: GraphQLField) -> StrawberryField | None:
    """The strawberry field a graphql-core field was made from (None: not strawberry's)."""
    found = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return found if isinstance(found, StrawberryField) else None


def is_strawberry_is_type_of(is_type_of: Any) -> bool:
    """Whether `is_type_of` is one strawberry generates for an object type: an `isinstance` of the
    type's class (or a `strawberry.cast` mark) that ignores its info and returns a bool."""
    return getattr(is_type_of, "__module__", "") == "strawberry.schema.schema_converter" and getattr(
        is_type_of, "__qualname__", ""
    ).endswith("._get_is_type_of.<locals>.is_type_of")
