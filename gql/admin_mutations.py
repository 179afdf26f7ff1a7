"""Running back-office mutations: the use case, then its payload or its `userErrors`.

Like `gql/mutations.py` for orders, but for inputs that patch settings: a field left out of the
input (UNSET) keeps its value, an explicit null clears it. `given` turns such an input into the
{attribute: value} the services take; a batch refused row by row (`BatchRejected`) becomes one
userError per row, each naming the row's index in its path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strawberry.types.unset import UnsetType

from gql.context import Info
from gql.mutations import user_error
from gql.schema.common import UserError
from models.catalog.rules import BatchRejected
from models.errors import DomainError
from services.commands import Result, Work, run_command

UseCase = Callable[[Work], Awaitable[Result]]
UNSET_MARK = "<unset>"


def _hashable(value: Any) -> Any:
    """The input as plain JSON for the idempotency hash (UNSET differs from null)."""
    if isinstance(value, UnsetType):
        return UNSET_MARK
    if isinstance(value, dict):
        return {k: _hashable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hashable(v) for v in value]
    return value


def request_of(input_: Any) -> dict[str, Any]:
    data = dataclasses.asdict(input_)
    data.pop("idempotency_key", None)
    hashed: dict[str, Any] = _hashable(data)
    return hashed


def given(input_: Any, names: Mapping[str, str]) -> dict[str, Any]:
    """{service attribute: value} for every input field in `names` the client actually sent."""
    return {
        attribute: getattr(input_, field)
        for field, attribute in names.items()
        if not isinstance(getattr(input_, field), UnsetType)
    }


async def run_admin(
    info: Info, operation: str, input_: Any, use_case: UseCase
) -> tuple[Result | None, list[UserError]]:
    """(result, []) when the use case committed; (None, errors) when it changed nothing."""
    ctx = info.context
    try:
        result = await run_command(
            ctx.deps,
            ctx.principal,
            operation,
            use_case,
            idempotency_key=getattr(input_, "idempotency_key", None),
            request=request_of(input_),
        )
    except BatchRejected as rejected:
        return None, [user_error(e) for e in rejected.errors]
    except DomainError as error:
        return None, [user_error(error)]
    return result, []
