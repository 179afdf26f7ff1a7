"""Argument values checked before graphql-core coerces them and before any resolver builds from them.

Two rules hold for every argument of an HTTP operation, written inline or sent as a variable, at
any depth of input objects and lists:

* a list holds at most its position's ceiling: `LIST_CEILINGS` by schema coordinate,
  `DEFAULT_LIST_CEILING` everywhere else. Business limits below a ceiling (50 cart lines, 20
  parcels …) stay with their services and answer in `userErrors`; the ceiling bounds what any
  request can make the server coerce and build, whatever the position.
* a string (String, ID, or any scalar sent as text) holds no NUL character (PostgreSQL's text
  refuses it) and no lone surrogate (no UTF-8 encodes it; `gql/http/bodies.py` lets them through
  JSON decoding only inside `variables`, so that they are refused here, naming the argument).

A refusal is a BAD_USER_INPUT GraphQL error (or the position's own code) whose `field` is the path
of the offending value: `filter.or` for an inline argument, `$f.or.3.text` inside a variable.

Work: the inline values are walked once per parsed document (documents come from the gate's cache,
so a repeated document costs a dict lookup); the variables on every request, O(size of their
values), and a list past its ceiling is refused before any of its items is looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    is_input_type,
    type_from_ast,
    visit,
)
from graphql.language.visitor import SKIP

from models.catalog.rules import MAX_BATCH_ROWS
from models.errors import ErrorCode
from models.metrics.visits import MAX_EVENTS

DEFAULT_LIST_CEILING: Final = 100
"""Filters' `and` / `or`, id lists, enum lists, cart lines, parcels, tiers …: every list not below."""

LIST_CEILINGS: Final[Mapping[str, tuple[int, ErrorCode]]] = {
    "Mutation.trackEvents(events:)": (2 * MAX_EVENTS, ErrorCode.BATCH_TOO_LARGE),
    "SyncStoreSkusInput.items": (2 * MAX_BATCH_ROWS, ErrorCode.BATCH_TOO_LARGE),
    "SetShelfInput.skuIds": (2 * MAX_BATCH_ROWS, ErrorCode.BATCH_TOO_LARGE),
    "Query.nodes(ids:)": (DEFAULT_LIST_CEILING, ErrorCode.PAGE_SIZE_EXCEEDED),
}
"""Positions whose lists may be longer than the default (batches: twice the business limit, so a
batch just over it still gets the service's per-row answer in `userErrors`), or refuse with
their own code."""

_DEFAULT: Final = (DEFAULT_LIST_CEILING, ErrorCode.BAD_USER_INPUT)

MAX_VALUE_DEPTH: Final = 40
"""Input objects and lists nest at most this deep in one value (the order filter's 8 levels of
`and` / `or` take 17), so the walks below stay far from Python's recursion limit."""


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored or encoded (None: it can). O(len(text)), in C."""
    if "\x00" in text:
        return "contains a NUL character"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "is not valid Unicode (a lone surrogate)"
    return None


class InputChecks:
    """The checks of one schema, with each document's inline verdict remembered."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._known: dict[int, _Verdict] = {}

    def check(self, document: DocumentNode, variables: Mapping[str, Any] | None) -> GraphQLError | None:
        """The first problem of the document's inline values, or else of `variables`; None: all fine."""
        verdict = self._verdict(document)
        if verdict.error is not None:
            return verdict.error
        for name, value in (variables or {}).items():
            position = verdict.variables.get(name)
            if position is not None and value is not None:
                error = _check_value(value, position.type, position.ceiling, f"${name}")
                if error is not None:
                    return error
        return None

    def _verdict(self, document: DocumentNode) -> _Verdict:
        known = self._known.get(id(document))
        if known is not None and known.document is document:
            return known
        if len(self._known) >= _MAX_KNOWN:
            self._known.clear()
        verdict = self._known[id(document)] = _read_document(self.schema, document)
        return verdict


@dataclass(frozen=True, slots=True)
class _Position:
    type: GraphQLInputType
    ceiling: tuple[int, ErrorCode]
    """Of the variable's value itself, when it is a list: the smallest among the places it is used."""


@dataclass(frozen=True, slots=True)
class _Verdict:
    document: DocumentNode
    """Held, so the id in the key cannot be reused by another document while this entry lives."""
    error: GraphQLError | None
    variables: dict[str, _Position]


_MAX_KNOWN: Final = 1_000


def _read_document(schema: GraphQLSchema, document: DocumentNode) -> _Verdict:
    reader = _Reader(TypeInfo(schema))
    visit(document, TypeInfoVisitor(reader.type_info, reader))
    error = reader.error
    declared: dict[str, _Position] = {}
    for definition in document.definitions:
        for variable in getattr(definition, "variable_definitions", None) or ():
            type_ = type_from_ast(schema, variable.type)
            name = variable.variable.name.value
            if not is_input_type(type_) or not _needs_walk(type_):
                continue
            position = declared[name] = _Position(type_, reader.list_uses.get(name, _DEFAULT))
            if error is None and variable.default_value is not None:
                error = reader.default(variable.default_value, position, f"${name}")
    return _Verdict(document, error, declared)


class _Reader(Visitor):
    """Walks every argument of the document once: inline values checked, variables' places noted."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.fields: list[str] = []
        self.error: GraphQLError | None = None
        self.list_uses: dict[str, tuple[int, ErrorCode]] = {}

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.fields.append(node.name.value)

    def leave_field(self, node: FieldNode, *_: Any) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
        argument = self.type_info.get_argument()
        if argument is None or self.error is not None:
            return SKIP
        directive = self.type_info.get_directive()
        parent = self.type_info.get_parent_type()
        owner = f"@{directive.name}" if directive else f"{parent.name if parent else '?'}.{self.fields[-1]}"
        coordinate = f"{owner}({node.name.value}:)"
        self.error = self._literal(node.value, argument.type, coordinate, node.name.value)
        return SKIP

    def default(self, node: ValueNode, position: _Position, path: str) -> GraphQLError | None:
        """A variable's default value: its top-level list bounded like the variable's value."""
        type_ = position.type.of_type if isinstance(position.type, GraphQLNonNull) else position.type
        if isinstance(type_, GraphQLList) and isinstance(node, ListValueNode):
            error = _too_long(len(node.values), position.ceiling, path)
            if error is not None:
                return error
        return self._literal(node, type_, "", path)

    def _literal(
        self, node: ValueNode, type_: GraphQLInputType, coordinate: str, path: str, depth: int = 0
    ) -> GraphQLError | None:
        if depth > MAX_VALUE_DEPTH:
            return _too_deep(path)
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(node, VariableNode):
            if isinstance(type_, GraphQLList):
                ceiling = LIST_CEILINGS.get(coordinate, _DEFAULT)
                name = node.name.value
                self.list_uses[name] = min(self.list_uses.get(name, ceiling), ceiling)
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(node, ListValueNode):
                return self._literal(node, type_.of_type, coordinate, path, depth)
            error = _too_long(len(node.values), LIST_CEILINGS.get(coordinate, _DEFAULT), path)
            for i, item in enumerate(node.values):
                if error is not None:
                    return error
                error = self._literal(item, type_.of_type, coordinate, f"{path}.{i}", depth + 1)
            return error
        if isinstance(type_, GraphQLInputObjectType) and isinstance(node, ObjectValueNode):
            for field in node.fields:
                found = type_.fields.get(field.name.value)
                if found is not None:
                    name = field.name.value
                    coordinate = f"{type_.name}.{name}"
                    error = self._literal(field.value, found.type, coordinate, f"{path}.{name}", depth + 1)
                    if error is not None:
                        return error
            return None
        if isinstance(node, StringValueNode):
            return _bad_text(node.value, path)
        return None


def _needs_walk(type_: Any) -> bool:
    """Whether a value of `type_` can hold a list or a string (Int, Boolean and enums cannot)."""
    seen: set[str] = set()

    def walk(t: Any) -> bool:
        if isinstance(t, GraphQLNonNull):
            return walk(t.of_type)
        if isinstance(t, GraphQLList):
            return True
        if isinstance(t, GraphQLScalarType):
            return t.name not in ("Int", "Float", "Boolean")
        if isinstance(t, GraphQLInputObjectType):
            if t.name in seen:
                return False
            seen.add(t.name)
            return any(walk(f.type) for f in t.fields.values())
        return False

    return walk(type_)


def _check_value(
    value: Any, type_: GraphQLInputType, ceiling: tuple[int, ErrorCode], path: str, depth: int = 0
) -> GraphQLError | None:
    """A variable's value as sent (JSON), walked by its declared type; unknown keys are coercion's."""
    if depth > MAX_VALUE_DEPTH:
        return _too_deep(path)
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return _check_value(value, type_.of_type, ceiling, path, depth)
        error = _too_long(len(value), ceiling, path)
        for i, item in enumerate(value):
            if error is not None:
                return error
            error = _check_value(item, type_.of_type, _DEFAULT, f"{path}.{i}", depth + 1)
        return error
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return None
        for name, inner in value.items():
            found = type_.fields.get(name)
            if found is not None:
                coordinate = f"{type_.name}.{name}"
                ceiling = LIST_CEILINGS.get(coordinate, _DEFAULT)
                error = _check_value(inner, found.type, ceiling, f"{path}.{name}", depth + 1)
                if error is not None:
                    return error
        return None
    if isinstance(value, str):
        return _bad_text(value, path)
    return None


def _too_long(length: int, ceiling: tuple[int, ErrorCode], path: str) -> GraphQLError | None:
    most, code = ceiling
    if length <= most:
        return None
    return GraphQLError(
        f"{path} holds {length} items; at most {most} are accepted",
        extensions={"code": code.value, "field": path, "maximum": most},
    )


def _too_deep(path: str) -> GraphQLError:
    return GraphQLError(
        f"{path} nests input objects and lists deeper than {MAX_VALUE_DEPTH} levels",
        extensions={"code": ErrorCode.BAD_USER_INPUT.value, "field": path},
    )


def _bad_text(text: str, path: str) -> GraphQLError | None:
    problem = text_problem(text)
    if problem is None:
        return None
    return GraphQLError(
        f"{path} {problem}", extensions={"code": ErrorCode.BAD_USER_INPUT.value, "field": path}
    )
