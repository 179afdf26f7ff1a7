"""A selection's fields as one generated function (a *fill*), made once per process per shape.

`plan_entries` sorts the fields of a (type, selection):

- LEAF: a scalar or enum read off the object (a strawberry basic field, no arguments), coerced by
  the fill: by a shortcut where graphql-core's coercion returns the value itself (`FAST_LEAVES`; an
  enum member through a member → name map), else by the field's own coercion with `leaf`'s checks;
- OBJECT / OBJECTS: an object or list of objects got by a direct resolver call, a relation's
  loaded row or an attribute read, checked and queued for the next level in line, or filled at
  once when its own selection is all leaves (compiled_objects.py);
- CALL: any other argument-less resolver, for the walk's resolver-call step; GENERAL: the rest,
  for the walk's general field step (walk_steps.py).

Invariants: a fill does what the walk's steps would do on the happy path and raises `Fallback`
where they would (a null for a non-null field, a failed coercion), so graphql-core answers the
operation from the start. The generated source holds only indices, field keys (GraphQL names,
identifiers) and attribute names checked to be identifiers; values are passed in its namespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
)

from adapters.graphql_core import FieldDetailsList, GroupedFieldSet, new_path
from gql.engine.compiled_objects import (
    NEVER_AWAITABLE,
    OBJECT,
    OBJECTS,
    Inlined,
    object_lines,
    object_type_of,
    read_expr,
    unwrapped,
)
from gql.engine.field_plans import PLANS, UNPLANNED, FieldPlan, LazyInfo, plan_field
from gql.engine.loaded import MISSING
from gql.engine.rendered import RenderedAnswer
from gql.engine.row_views import VIEW_CLASSES


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
    GraphQLFloat: "v.__class__ is float and v - v == 0.0",  # finite: inf - inf and NaN are NaN
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


def compile_fill(
    parent_type: GraphQLObjectType,
    entries: Sequence[Entry],
    inline: frozenset[int] = frozenset(),
    leaves: dict[int, Sequence[Entry]] | None = None,
) -> Fill:
    """The generated fill of `entries` on `parent_type`, made once per process per shape; `inline`:
    the indices of OBJECT and OBJECTS entries whose objects are filled at once (`plan_fill`);
    `leaves`: those of them whose objects' selection is all leaves (their fill reads no path), with
    those leaves' entries, written out in this fill instead of calling theirs."""
    children = {index: tuple(found) for index, found in (leaves or {}).items()}
    shape = (
        parent_type,
        _shape(entries),
        inline,
        tuple((index, _shape(found)) for index, found in sorted(children.items())),
    )
    found = _FILLS.get(shape)
    if found is None:
        if len(_FILLS) >= _MAX_FILLS:
            _FILLS.clear()
        found = _FILLS[shape] = _generate(parent_type, entries, inline, frozenset(children), children)
    return found


def _shape(entries: Sequence[Entry]) -> tuple[tuple[str, int, str], ...]:
    return tuple((key, id(plan), kind) for key, _, plan, kind in entries)


# Keyed by the plans' ids: plans live as long as the process (`PLANS` keeps them), so an id is
# never reused for another plan.
_FILLS: dict[tuple[Any, ...], Fill] = {}
_MAX_FILLS = 5_000
"""Selections whose fill is kept (ad-hoc documents add shapes; cleared when full)."""


def plan_entries(
    schema: GraphQLSchema, parent_type: GraphQLObjectType, fields: GroupedFieldSet
) -> list[Entry]:
    """The fields of a selection on `parent_type` with their plans and kinds: LEAF for the scalar
    and enum attributes without arguments, whose output coercion the fill does itself; OBJECT and
    OBJECTS for argument-less resolvers called directly and attribute reads whose type is an object
    type or a list of one, with no `is_type_of` or strawberry's own; CALL for the other
    argument-less resolvers called directly; GENERAL for the rest."""
    entries: list[Entry] = []
    for key, details in fields.items():
        node = details[0].node
        plan_key = (parent_type, node.name.value)
        plan = PLANS.get(plan_key, UNPLANNED)
        if plan is UNPLANNED:
            plan = PLANS[plan_key] = plan_field(schema, parent_type, node.name.value)
        if plan is None:
            continue  # graphql-core leaves unknown fields out of the answer too
        if node.arguments:
            kind = GENERAL
        elif plan.leaf is not None:
            kind = LEAF
        elif plan.call is None and plan.attribute is None:
            kind = GENERAL
        elif object_type_of(plan.field_def.type) is not None:
            kind = OBJECT
        elif isinstance(unwrapped(plan.field_def.type), GraphQLList) and object_type_of(
            unwrapped(plan.field_def.type).of_type  # type: ignore[union-attr]
        ):
            kind = OBJECTS
        else:
            kind = CALL if plan.call is not None else GENERAL
        entries.append((key, details, plan, kind))
    return entries


def plan_fill(
    schema: GraphQLSchema,
    parent_type: GraphQLObjectType,
    fields: GroupedFieldSet,
    steps: tuple[Any, ...],
    grouped: Callable[[GraphQLObjectType, FieldDetailsList], GroupedFieldSet],
    planned: Callable[[GraphQLObjectType, GroupedFieldSet], tuple[Fill, tuple[Any, ...]]],
) -> tuple[Fill, tuple[Any, ...]]:
    """A selection's fill and its last argument, for one request.

    The argument holds the walk's steps and executor (`STEPS`), then the details of each field
    that is not a leaf, followed for OBJECT and OBJECTS fields by the subfields their objects are
    grouped under (`grouped(object type, details)`) and those subfields' own fill and argument
    (`planned(object type, subfields)`, the request's memo of this function): the fill queues
    each object for the next level with them, so the level needs no lookup per object. When the
    subfields are all leaves (a store's name, a price's cents), or leaves and objects read off
    attributes whose own subfields are such all the way down (an aggregate's rows, their keys and
    values), the objects are filled as soon as they are got instead of queued: such fields only
    read attributes, so when they are read changes nothing, and any anomaly still raises
    `Fallback`.
    """
    entries = plan_entries(schema, parent_type, fields)
    x = list(steps)
    inline: set[int] = set()
    leaves: dict[int, Sequence[Entry]] = {}
    for index, (_, details, plan, kind) in enumerate(entries):
        if kind is LEAF:
            continue
        x.append(details)
        if kind is OBJECT or kind is OBJECTS:
            type_ = unwrapped(plan.field_def.type)
            if kind is OBJECTS:
                type_ = unwrapped(type_.of_type)  # type: ignore[union-attr]
            assert isinstance(type_, GraphQLObjectType)
            subfields = grouped(type_, details)
            children = plan_entries(schema, type_, subfields)
            if children and all(child[3] is LEAF for child in children):
                inline.add(index)
                leaves[index] = children
                x += [subfields, compile_fill(type_, children), steps]
            else:
                if _reads_only(schema, children, grouped):
                    inline.add(index)
                x += [subfields, *planned(type_, subfields)]
    return compile_fill(parent_type, entries, frozenset(inline), leaves), tuple(x)


def _reads_only(
    schema: GraphQLSchema,
    entries: Sequence[Entry],
    grouped: Callable[[GraphQLObjectType, FieldDetailsList], GroupedFieldSet],
) -> bool:
    """Whether a selection's fields, all the way down, are leaves and objects read off attributes
    (no resolver, no relation): filling its objects at once changes nothing either."""
    if not entries:
        return False
    for _, details, plan, kind in entries:
        if kind is LEAF:
            continue
        if (kind is not OBJECT and kind is not OBJECTS) or plan.call is not None or plan.relation is not None:
            return False
        type_ = unwrapped(plan.field_def.type)
        if kind is OBJECTS:
            type_ = unwrapped(type_.of_type)  # type: ignore[union-attr]
        assert isinstance(type_, GraphQLObjectType)
        if not _reads_only(schema, plan_entries(schema, type_, grouped(type_, details)), grouped):
            return False
    return True


STEPS = ("field", "call", "after_call", "list_item", "executor")
"""The first items of a fill's last argument: the walk's general field step, its resolver-call
step, the completion of a value already got (`after_call(parent type, details, plan, info, path,
value, target, key, next_work, pending)`), the completion of one list item
(`list_item(item type, details, info, path, item, items, index, next_work, pending)`), and the
executor (for `LazyInfo`)."""


def _inlined(namespace: dict[str, Any], index: int, children: Sequence[Entry]) -> Inlined:
    """The fill of `children` (leaves) written out: from the object named, into `a`."""

    def lines(value: str, indent: str) -> list[str]:
        found = []
        for n, (key, _, plan, _) in enumerate(children):
            if not key.isidentifier():
                raise ValueError(f"not a GraphQL name: {key!r}")
            found += leaf_lines(namespace, f"{index}_{n}", key, plan, value, "a", indent)
        return found

    return lines


def leaf_lines(
    namespace: dict[str, Any],
    tag: int | str,
    key: str,
    plan: FieldPlan,
    source: str,
    target: str,
    indent: str,
) -> list[str]:
    """A LEAF field read off the variable `source`, coerced and set in the dict `target` (its names
    in `namespace` end with `tag`)."""
    assert plan.attribute is not None, "leaf fields are attribute reads"
    assert plan.leaf is not None, "leaf fields have a coercion"
    lines = [f"v = {read_expr(namespace, tag, plan.attribute, source)}"]
    namespace[f"c{tag}"] = plan.leaf
    slow = f"leaf(v, c{tag}, {plan.non_null})"
    named = plan.field_def.type
    if isinstance(named, GraphQLNonNull):
        named = named.of_type
    assert isinstance(named, GraphQLLeafType)
    fast = FAST_LEAVES.get(named)
    members = enum_names(named) if isinstance(named, GraphQLEnumType) else None
    if fast is not None:
        lines += [f"{target}[{key!r}] = v if {fast} else {slow}"]
    elif members is not None:
        namespace[f"w{tag}"], namespace[f"n{tag}"] = members
        lines += [
            f"c = n{tag}.get(v) if v.__class__ is w{tag} else None",
            f"{target}[{key!r}] = c if c is not None else {slow}",
        ]
    else:
        # No shortcut (a date-time, a custom scalar): the field's coercion and `leaf`'s checks,
        # written out here to spare a call per value.
        lines += [
            "if v is None or v is Undefined:",
            "    raise Fallback" if plan.non_null else f"    {target}[{key!r}] = None",
            "else:",
            f"    c = c{tag}(v)",
            "    if c is None or c is Undefined:",
            "        raise Fallback",
            f"    {target}[{key!r}] = c",
        ]
    return [indent + line for line in lines]


def _generate(
    parent_type: GraphQLObjectType,
    entries: Sequence[Entry],
    inline: frozenset[int],
    leaves: frozenset[int],
    children: dict[int, tuple[Entry, ...]],
) -> Fill:
    namespace: dict[str, Any] = {
        "leaf": leaf,
        "T": parent_type,
        "Fallback": Fallback,
        "Undefined": Undefined,
        "LazyInfo": LazyInfo,
        "_path": new_path,
        "NA": NEVER_AWAITABLE,
        "VIEWS": VIEW_CLASSES,
        "MISSING": MISSING,
        "_new": object.__new__,
        "RA": RenderedAnswer,
    }
    lines = []
    if any(plan.relation is not None for _, _, plan, _ in entries):
        lines.append("    nl = executor.narrowed_loaders")  # for the relations' `now_lines`
        lines.append("    rd = executor.rendered")  # answers the database rendered (rendered.py)
    taken = len(STEPS) - 1
    for index, (key, _, plan, kind) in enumerate(entries):
        if not key.isidentifier():
            raise ValueError(f"not a GraphQL name: {key!r}")
        namespace[f"p{index}"] = plan
        if kind is OBJECT or kind is OBJECTS:
            inlined = _inlined(namespace, index, children[index]) if index in children else None
            lines += object_lines(
                namespace, index, key, plan, kind, taken + 1, index in inline, index in leaves, inlined
            )
            taken += 4
            continue
        if kind is not LEAF:
            taken += 1
            step = "call" if kind is CALL else "field"
            lines.append(
                f"    {step}(T, source, x[{taken}], p{index}, path, target, {key!r}, next_work, pending)"
            )
            continue
        lines += leaf_lines(namespace, index, key, plan, "source", "target", "    ")
    body = "\n".join(lines)
    # Only the steps the body names are read from `x` (a fill of leaves reads none).
    steps = [f"    {name} = x[{n}]" for n, name in enumerate(STEPS) if re.search(rf"\b{name}\b", body)]
    source = "\n".join(["def fill(source, path, target, next_work, pending, x):", *steps, body]) + "\n"
    exec(compile(source, f"<fill of {parent_type.name}>", "exec"), namespace)
    fill: Fill = namespace["fill"]
    return fill
