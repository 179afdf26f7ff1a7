"""Static limits on a GraphQL document, as graphql-core validation rules, plus the rejection counters.

The rules run once per distinct document (their verdict is cached with the parsed document by
`gql/gate/documents.py`), never per field at execution time: a request that breaks a limit is refused
before any resolver runs, with a stable `extensions.code`.

`COUNTERS` is the tiny API the metrics exporter reads: rejections by code, document-cache hits and
misses, parses, executions, and how often the rate limiter failed open.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    IntValueNode,
    ValidationContext,
)

from gql.gate.shape import Shape, ShapeLimits
from gql.settings import Settings
from models.enums import Role
from models.errors import ErrorCode

PAGE_ARGUMENTS = ("first", "last")


@dataclass
class Counters:
    """Process-wide counts, read by the metrics exporter and by tests (a snapshot is cheap)."""

    rejections: Counter[str] = field(default_factory=Counter)
    """Requests refused before execution, by `extensions.code`."""
    parses: int = 0
    validations: int = 0
    document_cache_hits: int = 0
    executions: int = 0
    """Operations that reached graphql-core's executor (so resolvers may have run)."""
    rate_limit_fail_open: int = 0
    """Requests let through without a rate-limit decision because Redis was unreachable."""

    def reject(self, code: ErrorCode) -> None:
        self.rejections[code.value] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "rejections": dict(self.rejections),
            "parses": self.parses,
            "validations": self.validations,
            "document_cache_hits": self.document_cache_hits,
            "executions": self.executions,
            "rate_limit_fail_open": self.rate_limit_fail_open,
        }


COUNTERS = Counters()


def coded(code: ErrorCode, message: str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value, **extra})


def cost_budget(settings: Settings, role: Role | None) -> int:
    """The most one query may cost, and the size of the caller's rate-limit bucket."""
    return {
        None: settings.cost_budget_anonymous,
        Role.SHOPPER: settings.cost_budget_shopper,
        Role.STORE_STAFF: settings.cost_budget_store_staff,
        Role.ANALYST: settings.cost_budget_analyst,
        Role.HQ_ADMIN: settings.cost_budget_hq_admin,
    }[role]


def restore_rate(settings: Settings, role: Role | None) -> float:
    """Cost points per second given back to the caller's bucket."""
    return {
        None: settings.rate_restore_anonymous,
        Role.SHOPPER: settings.rate_restore_shopper,
        Role.STORE_STAFF: settings.rate_restore_store_staff,
        Role.ANALYST: settings.rate_restore_analyst,
        Role.HQ_ADMIN: settings.rate_restore_hq_admin,
    }[role]


def may_introspect(settings: Settings, role: Role | None) -> bool:
    """HQ and analysts (ad-hoc GraphQL is their job) may always introspect; others outside production,
    or when PUBLIC_INTROSPECTION says so (the shipped SPA and mini-program never introspect)."""
    return role in (Role.HQ_ADMIN, Role.ANALYST) or settings.introspection_for_everyone


def shape_rule(limits: ShapeLimits) -> type[ASTValidationRule]:
    """`gql/gate/shape.py`'s checks as a validation rule, for operations that skip the HTTP gate (WebSocket).

    The gate runs them before validation instead (`gql/gate/documents.py`); both are O(n) in the document.
    """

    class DocumentShape(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            error = Shape(node, limits).check()
            if error is not None:
                self.report_error(error)

    return DocumentShape


def shape_limits(settings: Settings, *, introspection: bool) -> ShapeLimits:
    return ShapeLimits(max_depth=settings.max_query_depth, introspection=introspection)


def alias_rule(max_aliases: int) -> type[ASTValidationRule]:
    class MaxAliases(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self.count += 1
                if self.count == max_aliases + 1:
                    self.report_error(
                        GraphQLError(
                            f"the document uses more than {max_aliases} aliases",
                            node,
                            extensions={
                                "code": ErrorCode.MAX_ALIASES_EXCEEDED.value,
                                "maxAliases": max_aliases,
                            },
                        )
                    )

    return MaxAliases


def page_size_rule(max_page_size: int) -> type[ASTValidationRule]:
    """Literal `first`/`last` above the limit; values passed in variables are checked by
    `gql/gate/cost.py`."""

    class MaxPageSize(ASTValidationRule):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            for argument in node.arguments or ():
                value = argument.value
                if (
                    argument.name.value in PAGE_ARGUMENTS
                    and isinstance(value, IntValueNode)
                    and int(value.value) > max_page_size
                ):
                    self.report_error(page_size_error(argument.name.value, max_page_size, argument))

    return MaxPageSize


def page_size_error(name: str, max_page_size: int, node: Any = None) -> GraphQLError:
    return GraphQLError(
        f"{name} must be at most {max_page_size}",
        node,
        extensions={"code": ErrorCode.PAGE_SIZE_EXCEEDED.value, "field": name},
    )


class NoIntrospection(ASTValidationRule):
    """`__schema` and `__type` are refused; `__typename` stays (clients need it for unions)."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value in ("__schema", "__type"):
            self.report_error(
                GraphQLError(
                    "introspection is disabled for this caller",
                    node,
                    extensions={"code": ErrorCode.INTROSPECTION_DISABLED.value},
                )
            )


def limit_rules(
    settings: Settings, *, introspection: bool, shape: bool = True
) -> tuple[type[ASTValidationRule], ...]:
    """Our rules, run beside graphql-core's specified rules; `shape=False` when `gql/gate/shape.py` ran first.

    Each is one visit of the document's nodes, O(n).
    """
    rules: list[type[ASTValidationRule]] = [
        alias_rule(settings.max_query_aliases),
        page_size_rule(settings.max_page_size),
    ]
    if shape:
        rules.append(shape_rule(shape_limits(settings, introspection=introspection)))
    if not introspection:
        rules.append(NoIntrospection)
    return tuple(rules)
