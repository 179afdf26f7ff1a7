"""Input objects built by a plan made once, instead of strawberry's conversion on every request.

strawberry turns an input argument (a dict of GraphQL names, values already coerced by
graphql-core) into the input class with `convert_argument`, which resolves every field's name and
type again on every request.

strawberry lets an input type build its own value (`StrawberryObjectDefinition.from_input`). Here
each installed type gets one that does what `convert_argument` does, with the names and types
looked up once: a null or unset value stays as it is, a list is copied (its items converted when
they are input objects), a scalar or enum is the value graphql-core coerced, a nested input object
is built by its own plan, and fields the value leaves out get the class's defaults (None for a
field without one, as strawberry sets). Types with a field this does not cover (`Maybe`, relay's
`GlobalID`, anything that is not an input object) are refused at install, so they keep strawberry's
own conversion. `tests/unit/test_input_conversion.py` compares both on random filters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema import Schema
from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any, InputContext], Any]


class UnsupportedInput(TypeError):
    """A field type the plan does not cover: the input type keeps strawberry's conversion."""


def install(schema: Schema, classes: Iterable[type]) -> None:
    """Give each input class in `classes` a planned `from_input` (nested input types included)."""
    planner = _Planner(schema)
    for cls in classes:
        planner.plan(cls)
    for cls, build in planner.builds.items():
        cls.__strawberry_definition__.from_input = build  # type: ignore[attr-defined]


def _same(value: Any, context: InputContext) -> Any:
    return value


class _Planner:
    def __init__(self, schema: Schema) -> None:
        self.registry = schema.schema_converter.scalar_registry
        self.names = schema.config.name_converter
        self.builds: dict[type, Callable[[type, Mapping[str, Any], InputContext], Any]] = {}

    def plan(self, cls: type) -> Callable[[type, Mapping[str, Any], InputContext], Any]:
        found = self.builds.get(cls)
        if found is not None:
            return found
        definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        if not definition.is_input:
            raise UnsupportedInput(f"{definition.name} is not an input type")
        fields: dict[str, tuple[str, Convert]] = {}
        unset = {
            f.python_name: None
            for f in definition.fields
            if f.default_value is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }

        def build(target: type, value: Mapping[str, Any], context: InputContext) -> Any:
            kwargs = dict(unset)
            for name, raw in value.items():
                planned = fields.get(name)
                if planned is not None:
                    python_name, convert = planned
                    kwargs[python_name] = raw if raw is None or raw is UNSET else convert(raw, context)
            return target(**kwargs)

        self.builds[cls] = build  # before its fields: a filter nests filters (`and`, `or`, `not`)
        for field in definition.fields:
            fields[self.names.from_field(field)] = (
                field.python_name,
                self._convert(field.resolve_type(type_definition=definition)),
            )
        return build

    def _convert(self, type_: Any) -> Convert:
        """The conversion of a present, non-null value of `type_`."""
        if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
            raise UnsupportedInput(f"{type_!r} is converted by strawberry itself")
        if isinstance(type_, StrawberryOptional):
            return self._convert(type_.of_type)
        if isinstance(type_, LazyType):
            return self._convert(type_.resolve_type())
        if isinstance(type_, StrawberryList):
            item = self._convert(type_.of_type)
            if item is _same:
                return lambda value, context: list(value)
            return lambda value, context: [x if x is None or x is UNSET else item(x, context) for x in value]
        if (
            is_scalar(type_, self.registry)
            or isinstance(type_, StrawberryEnumDefinition)
            or has_enum_definition(type_)
        ):
            return _same
        if has_object_definition(type_):
            build = self.plan(type_)
            return lambda value, context: build(type_, value, context)
        raise UnsupportedInput(f"{type_!r} is not an input type, scalar or enum")
