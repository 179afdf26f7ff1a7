"""`direct_call`: a resolver called positionally gets exactly what `call_resolver` gives it."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from strawberry.types.fields.resolver import StrawberryResolver

from gql.engine.field_plans import call_resolver, direct_call


@strawberry.type
class Thing:
    n: int

    def with_info(self, info: strawberry.Info) -> str:
        return f"{self.n}:{info}"

    def without_info(self) -> str:
        return f"{self.n}"

    @staticmethod
    def from_root(root: Thing, info: strawberry.Info) -> str:
        return f"{root.n}:{info}"

    def keyword_info(self, *, info: strawberry.Info) -> str:
        return f"{self.n}:{info}"


def _both(function: Any) -> tuple[Any, Any, Any]:
    resolver = StrawberryResolver(function)
    call = direct_call(resolver)
    source, info = Thing(n=3), "INFO"
    return call, call(source, info), call_resolver(resolver, source, info)  # type: ignore[arg-type]


def test_methods_are_called_positionally_with_what_strawberry_would_pass() -> None:
    call, direct, generic = _both(Thing.with_info)
    assert call is Thing.with_info
    assert direct == generic == "3:INFO"
    call, direct, generic = _both(Thing.without_info)
    assert not isinstance(call, partial)
    assert direct == generic == "3"


def test_other_signatures_go_through_call_resolver() -> None:
    for function in (Thing.from_root, Thing.keyword_info):
        call, direct, generic = _both(function)
        assert isinstance(call, partial)
        assert direct == generic == "3:INFO"
