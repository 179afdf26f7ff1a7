"""A selection's fields as one generated function: the level-first walk's inner loop, unrolled.

The walk (gql/execution.py) fills each object of a level from the planned fields of its
selection. As a loop, every field of every object paid for the loop itself: unpacking its entry,
testing which kind of field it is, calling the leaf's output coercion through graphql-core's
general serializer (`serialize_string` tests six types before it returns a `str` as it is;
strawberry's enum coercion scans the enum's values). A 50-order page has ~1,200 such fields.

So each (object type, selection) gets a function generated once per process, with one straight
block per field, in the selection's order:

- a scalar or enum read off the object (a strawberry basic field, no arguments) is read with
  a plain attribute access; a `str` for String or ID, a `bool` for Boolean, an `int` in range for
  Int and a member of the field's enum take the shortcut whose result graphql-core's coercion
  would give (`FAST_LEAVES`, and a member → name map per enum); anything else goes through the
  field's own coercion with the walk's checks (`leaf`);
- a field with an argument-less resolver called directly goes to the walk's resolver-call step
  (`call`), every other field to its general field step (`field`), each with its details.

The source holds only indices, field keys (GraphQL names, which are identifiers) and attribute
names checked to be identifiers; values are passed in its namespace. What a field does on the
unhappy path is unchanged: a null for a non-null field or a failed coercion raises `Fallback`,
and graphql-core answers the operation from the start.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList

from gql.field_plans import FieldPlan


class Fallback(Exception):
    """Leave the happy path: graphql-core executes the operation from the start."""


# (response key, its field details, the field's plan, its kind: LEAF, CALL or GENERAL)
Entry = tuple[str, FieldDetailsList, FieldPlan, str]
LEAF = "leaf"
"""A scalar or enum read off the object, coerced by the fill itself."""
CALL = "call"
"""An argument-less resolver called directly (`FieldPlan.call`): the walk's resolver-call step."""
GENERAL = "general"
"""Anything else: the walk's general field step."""
# fill(source, path, target, next_work, pending, per_request) fills `target` with source's fields
Fill = Callable[[Any, Any, dict[str, Any], list[Any], list[Any], tuple[Any, ...]], None]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

# A leaf type → the test, on `v`, under which its coercion returns `v` itself.
FAST_LEAVES: dict[Any, str] = {
    GraphQLString: "v.__class__ is str",
    GraphQLID: "v.__class__ is str",
    GraphQLBoolean: "v.__class__ is bool",
    GraphQLInt: f"v.__class__ is int and {_INT_MIN} <= v <= {_INT_MAX}",
}


def leaf(value: Any, coerce: Callable[[Any], Any], non_null: bool) -> Any:
    """A leaf value the shortcut did not take, coerced with the walk's checks."""
    if value is None or value is Undefined:
        if non_null:
            raise Fallback
        return None
    coerced = coerce(value)
    if coerced is None or coerced is Undefined:
        raise Fallback
    return coerced


def enum_names(type_: GraphQLEnumType) -> tuple[type[Any], dict[Any, Any]] | None:
    """For strawberry's enum types: the Python enum and each member's coerced name."""
    wrapped = getattr(type_, "wrapped_cls", None)
    if wrapped is None:
        return None
    names = {}
    for member in wrapped:
        try:
            names[member] = type_.coerce_output_value(member)
        except Exception:
            continue
    return wrapped, names


def compile_fill(parent_type: GraphQLObjectType, entries: Sequence[Entry]) -> Fill:
    """The generated fill of `entries` on `parent_type`, made once per process per shape."""
    shape = (parent_type, tuple((key, id(plan), kind) for key, _, plan, kind in entries))
    found = _FILLS.get(shape)
    if found is None:
        if len(_FILLS) >= _MAX_FILLS:
            _FILLS.clear()
        found = _FILLS[shape] = _generate(parent_type, entries)
    return found


# Keyed by the plans' ids: plans live as long as the process (`PLANS` keeps them), so an id is
# never reused for another plan.
_FILLS: dict[tuple[Any, ...], Fill] = {}
_MAX_FILLS = 5_000
"""Selections whose fill is kept (ad-hoc documents add shapes; cleared when full)."""


def per_request(
    field: Callable[..., None], call: Callable[..., None], entries: Sequence[Entry]
) -> tuple[Any, ...]:
    """The last argument of a fill: the walk's general and resolver-call field steps, then the
    details of each field they take."""
    return (field, call, *(details for _, details, _, kind in entries if kind is not LEAF))


def _generate(parent_type: GraphQLObjectType, entries: Sequence[Entry]) -> Fill:
    namespace: dict[str, Any] = {"leaf": leaf, "T": parent_type, "Fallback": Fallback, "Undefined": Undefined}
    lines = ["def fill(source, path, target, next_work, pending, x):", "    field, call = x[0], x[1]"]
    taken = 1
    for index, (key, _, plan, kind) in enumerate(entries):
        if not key.isidentifier():
            raise ValueError(f"not a GraphQL name: {key!r}")
        if kind is not LEAF:
            taken += 1
            namespace[f"p{index}"] = plan
            step = "call" if kind is CALL else "field"
            lines.append(
                f"    {step}(T, source, x[{taken}], p{index}, path, target, {key!r}, next_work, pending)"
            )
            continue
        attribute = plan.attribute
        assert attribute is not None, "leaf fields are attribute reads"
        assert plan.leaf is not None, "leaf fields have a coercion"
        if attribute.isidentifier() and not keyword.iskeyword(attribute):
            lines.append(f"    v = source.{attribute}")
        else:
            namespace[f"a{index}"] = attribute
            lines.append(f"    v = getattr(source, a{index})")
        namespace[f"c{index}"] = plan.leaf
        slow = f"leaf(v, c{index}, {plan.non_null})"
        named = plan.field_def.type
        if isinstance(named, GraphQLNonNull):
            named = named.of_type
        assert isinstance(named, GraphQLLeafType)
        fast = FAST_LEAVES.get(named)
        members = enum_names(named) if isinstance(named, GraphQLEnumType) else None
        if fast is not None:
            lines += [f"    target[{key!r}] = v if {fast} else {slow}"]
        elif members is not None:
            namespace[f"w{index}"], namespace[f"n{index}"] = members
            lines += [
                f"    c = n{index}.get(v) if v.__class__ is w{index} else None",
                f"    target[{key!r}] = c if c is not None else {slow}",
            ]
        else:
            # No shortcut (a date-time, a custom scalar): the field's coercion and `leaf`'s checks,
            # written out here to spare a call per value.
            lines += [
                "    if v is None or v is Undefined:",
                "        raise Fallback" if plan.non_null else f"        target[{key!r}] = None",
                "    else:",
                f"        c = c{index}(v)",
                "        if c is None or c is Undefined:",
                "            raise Fallback",
                f"        target[{key!r}] = c",
            ]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<fill of {parent_type.name}>", "exec"), namespace)
    fill: Fill = namespace["fill"]
    return fill
