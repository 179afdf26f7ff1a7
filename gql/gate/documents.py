"""Parse and validate each distinct document once, and remember the verdict by its SHA-256.

Mini-program and SPA traffic is a handful of documents sent millions of times (and persisted
queries are sent by hash), so after the first request a document costs a dictionary lookup
instead of a parse plus ~30 validation rules. The cache key is the document hash plus the only
request input that changes the validation verdict: the caller's role (introspection, restricted
fields). Rejected documents are cached too, so repeating an abusive query stays cheap.

Size and token limits are applied here, before and during parsing; expanded size, depth, fragment
cycles, field merging and introspection's own bounds by `gql/gate/shape.py` right after (one linear
pass); aliases,
page sizes and who may introspect by the rules of `gql/gate/limits.py`; graphql-core's specified rules
and strawberry's own (`@oneOf`, `Maybe`) run beside them, since the request skips strawberry's
validation step later.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gql.gate.admitted import Admitted
from gql.gate.limits import COUNTERS, coded, limit_rules, may_introspect, shape_limits
from gql.gate.permissions import field_audience_rule
from gql.gate.shape import Shape, ShapeLimits
from gql.settings import Settings
from models.enums import Role
from models.errors import ErrorCode

K = TypeVar("K")
V = TypeVar("V")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Lru(Generic[K, V]):
    """A bounded mapping that forgets the least recently used entry (size 0: remembers nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if self.size <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A document with its verdict: `errors` empty means it may run (cost and rate limits still apply)."""

    sha256: str
    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self._parsed: Lru[str, DocumentNode | GraphQLError] = Lru(settings.document_cache_size)
        self._checked: Lru[tuple[str, Role | None], CheckedDocument] = Lru(settings.document_cache_size)
        self._rules: dict[Role | None, tuple[type[ASTValidationRule], ...]] = {
            role: (
                *specified_rules,
                MaybeNullValidationRule,
                OneOfInputValidationRule,
                *role_rules(settings, role, shape=False),
            )
            for role in (None, *Role)
        }
        self._shapes: dict[Role | None, ShapeLimits] = {
            role: shape_limits(settings, introspection=may_introspect(settings, role))
            for role in (None, *Role)
        }

    def check(self, query: str, *, role: Role | None, sha256: str | None = None) -> CheckedDocument:
        """The parsed document and its validation errors, from the cache when seen before.

        Cheapest first, each refusing before the next runs: the length (O(1)), the parse with its
        token limit (O(n)), `gql/gate/shape.py`'s pass (O(n) plus a fixed merging budget: expanded size,
        depth, fragment cycles, fields and fragments merged, introspection), then graphql-core's
        and our validation rules: O(n) each, except OverlappingFieldsCanBeMerged, whose pairs
        compared the shape pass has bounded by `MAX_MERGED_PAIRS`.
        """
        if len(query) > self.settings.max_query_chars:
            error = coded(
                ErrorCode.DOCUMENT_TOO_LARGE,
                f"the query is {len(query)} characters long; the limit is {self.settings.max_query_chars}",
            )
            return CheckedDocument(sha256 or "", None, (error,))
        digest = sha256 or sha256_hex(query)
        key = (digest, role)
        cached = self._checked.get(key)
        if cached is not None:
            COUNTERS.document_cache_hits += 1
            return cached
        parsed = self._parse(digest, query)
        if isinstance(parsed, GraphQLError):
            checked = CheckedDocument(digest, None, (parsed,))
        elif (shaped := Shape(parsed, self._shapes[role]).check()) is not None:
            checked = CheckedDocument(digest, parsed, (shaped,))
        else:
            COUNTERS.validations += 1
            errors = validate(
                self.schema,
                parsed,
                self._rules[role],
                hide_suggestions=not self.settings.suggestions_enabled,
            )
            checked = CheckedDocument(digest, parsed, tuple(_with_code(e) for e in errors))
        self._checked.put(key, checked)
        return checked

    def _parse(self, digest: str, query: str) -> DocumentNode | GraphQLError:
        parsed = self._parsed.get(digest)
        if parsed is not None:
            return parsed
        COUNTERS.parses += 1
        result: DocumentNode | GraphQLError
        try:
            result = parse(query, max_tokens=self.settings.max_query_tokens)
        except GraphQLError as exc:
            too_many = "tokens" in exc.message and "more than" in exc.message
            code = ErrorCode.MAX_TOKENS_EXCEEDED if too_many else ErrorCode.GRAPHQL_PARSE_FAILED
            result = GraphQLError(
                exc.message, source=exc.source, positions=exc.positions, extensions={"code": code.value}
            )
        self._parsed.put(digest, result)
        return result


def _with_code(error: GraphQLError) -> GraphQLError:
    if error.extensions and "code" in error.extensions:
        return error
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions={**(error.extensions or {}), "code": ErrorCode.GRAPHQL_VALIDATION_FAILED.value},
    )


@functools.cache
def role_rules(
    settings: Settings, role: Role | None, *, shape: bool = True
) -> tuple[type[ASTValidationRule], ...]:
    """Our rules for one role: the limits, introspection when refused, and the field audiences."""
    limits = limit_rules(settings, introspection=may_introspect(settings, role), shape=shape)
    return (*limits, field_audience_rule(role))


class PreparedDocument(SchemaExtension):
    """Hands strawberry the document the gate already parsed and validated, so neither runs twice.

    Operations that did not come through the HTTP gate (WebSocket subscriptions) are parsed and
    validated by strawberry as usual, with our limit rules added. Counting executions here (once
    per operation, not per field) is how tests prove that a rejected request ran no resolver.
    """

    def _admitted(self) -> Admitted | None:
        admitted = getattr(self.execution_context.context, "admitted", None)
        if isinstance(admitted, Admitted) and admitted.query == self.execution_context.query:
            return admitted
        return None

    def on_parse(self) -> Iterator[None]:
        admitted = self._admitted()
        if admitted is not None:
            self.execution_context.graphql_document = admitted.document
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if self._admitted() is not None:
            ec.pre_execution_errors = []  # validated by the gate (or taken from its cache)
        else:
            settings = getattr(ec.context, "settings", None)
            principal = getattr(ec.context, "principal", None)
            if isinstance(settings, Settings):
                role = getattr(principal, "role", None)
                ec.validation_rules = (
                    *ec.validation_rules,
                    *role_rules(settings, role),
                )
        yield

    def on_execute(self) -> Iterator[None]:
        COUNTERS.executions += 1
        yield
