"""The generated fills' code for object-valued fields (gql/engine/compiled_fields.py has the rest).

An object or list of objects (an argument-less resolver called directly, a relation's loaded
row, or an attribute read) is got, checked and queued for the next level — or, when its own
selection is all leaves, filled at once — in the generated function itself, as the walk's
resolver-call, completion and object steps (gql/engine/walk_steps.py) would do it; any value they would
treat otherwise (null, awaitable, a class not seen yet, a failed check) is handed to them.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLOutputType

from gql.engine.field_plans import FieldPlan, ignores_info

OBJECT = "object"
"""An object got by a direct resolver call or an attribute read, queued in line when it can be."""
OBJECTS = "objects"
"""The same for a list of objects."""
NEVER_AWAITABLE: set[type] = set()
"""Strawberry object classes whose instances the walk has learnt are never awaitable."""

TRUSTED: dict[GraphQLObjectType, set[type]] = {}
"""Per object type, the row view classes whose instances its `is_type_of` accepts (`_checked`)."""


def unwrapped(type_: GraphQLOutputType) -> GraphQLOutputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def object_type_of(type_: GraphQLOutputType) -> GraphQLObjectType | None:
    """The object type `type_` (or `type_!`) when its `is_type_of` is absent or strawberry's own."""
    inner = unwrapped(type_)
    if not isinstance(inner, GraphQLObjectType):
        return None
    if inner.is_type_of is not None and not ignores_info(inner.is_type_of):
        return None
    return inner


def parent_type_name(namespace: dict[str, Any]) -> str:
    name: str = namespace["T"].name
    if not name.isidentifier():
        raise ValueError(f"not a GraphQL name: {name!r}")
    return name


def read_expr(namespace: dict[str, Any], index: int | str, attribute: str, source: str = "source") -> str:
    """The expression reading `attribute` off `source` (a variable of the generated code)."""
    if attribute.isidentifier() and not keyword.iskeyword(attribute):
        return f"{source}.{attribute}"
    namespace[f"a{index}"] = attribute
    return f"getattr({source}, a{index})"


# Lines filling the answer dict `a` from an object (the variable named), at an indentation: the
# fill of a selection of leaves written out in its parent's (compiled_fields.py `leaf_lines`).
Inlined = Callable[[str, str], list[str]]


def object_lines(
    namespace: dict[str, Any],
    index: int,
    key: str,
    plan: FieldPlan,
    kind: str,
    at: int,
    inline: bool,
    leaves: bool = False,
    inlined: Inlined | None = None,
) -> list[str]:
    """An OBJECT or OBJECTS field: its value got as the walk's `_call` or `_field` gets it, then each
    object of a known class checked and queued as the walk's `_object` does (`x[at]` its details,
    `x[at + 1]` its grouped subfields, `x[at + 2]` and `x[at + 3]` their fill and its argument),
    or with `inline` filled at once; a null of a nullable OBJECT field set at once, as the completion
    would; anything else handed to the walk's completion. With `leaves` (an OBJECT filled at once
    whose selection is all leaves, so its fill reads no path) the field's path is made only where
    something else reads it; with `inlined` too, the objects' fill is written out here instead of
    called (the same lines as its own body)."""
    field_type = plan.field_def.type
    object_type = object_type_of(field_type if kind is OBJECT else unwrapped(field_type).of_type)  # type: ignore[union-attr]
    assert object_type is not None
    namespace[f"i{index}"] = object_type.is_type_of
    pk = f"_path((path, {key!r}, {parent_type_name(namespace)!r}))"
    pathless = leaves and kind is OBJECT
    lines = [
        f"    d = x[{at}]",
        *([] if pathless else [f"    pk = {pk}"]),
        *([] if inlined is not None else [f"    cf, cx = x[{at + 2}], x[{at + 3}]"]),
    ]
    head = len(lines)
    if not pathless:
        pk = "pk"

    def then(value: str, path: str, indent: str) -> list[str]:
        if inlined is not None:
            return inlined(value, indent)
        if inline:
            return [f"{indent}cf({value}, {path}, a, next_work, pending, cx)"]
        return [f"{indent}next_work.append((cf, cx, {value}, {path}, a))"]

    make_info = f"LazyInfo(executor, p{index}, d, T, {pk})"
    if plan.relation is not None:
        # The relation's value without an Info when its row is loaded; else the resolver, as below.
        namespace[f"c{index}"] = plan.call
        relation, attribute = plan.relation
        lines += [
            "    info = None",
            *relation.now_lines(namespace, index, read_expr(namespace, index, attribute), "    "),
            "    if r is MISSING:",
            f"        info = {make_info}",
            f"        r = c{index}(source, info)",
        ]
        late_info = f"        info = info or {make_info}"  # only the walk's completion reads it
    elif plan.call is not None:
        namespace[f"c{index}"] = plan.call
        lines += [f"    info = {make_info}", f"    r = c{index}(source, info)"]
    else:
        assert plan.attribute is not None
        info = make_info if plan.needs_info else "None"
        lines += [f"    r = {read_expr(namespace, index, plan.attribute)}"]
        if kind is OBJECTS:
            lines += [f"    info = {info}"]
        else:
            late_info = f"        info = {info}"  # only the walk's completion reads it
    checked = object_type.is_type_of is not None
    if checked:
        namespace[f"k{index}"] = TRUSTED.setdefault(object_type, set())
    if kind is OBJECT:
        lines += _checked(
            index, "r", f"target[{key!r}] = a", "None" if pathless else "pk", "    ", checked, then
        )
    else:
        namespace[f"t{index}"] = unwrapped(field_type).of_type  # type: ignore[union-attr]
        lines += [
            "    if r.__class__ is list:",
            "        items = []",
            f"        target[{key!r}] = items",
            "        for n, item in enumerate(r):",
            "            ip = _path((pk, n, None))",
            *_checked(index, "item", "items.append(a)", "ip", "            ", checked, then),
            "            else:",
            "                items.append(None)",
            *([f"        {late_info}"] if plan.relation is not None else []),
            f"                list_item(t{index}, d, info, ip, item, items, n, next_work, pending)",
        ]
    if kind is OBJECT and not isinstance(field_type, GraphQLNonNull):
        lines += ["    elif r is None:", f"        target[{key!r}] = None"]  # null, as completion makes it
    lines += ["    else:", f"        target[{key!r}] = None"]
    if plan.relation is not None or (plan.call is None and kind is OBJECT):
        lines += [late_info]
    lines += [f"        after_call(T, d, p{index}, info, {pk}, r, target, {key!r}, next_work, pending)"]
    if plan.relation is None:
        if kind is not OBJECT or plan.call is not None:
            return lines
        # An object the database rendered whole (rendered.py) is its own answer.
        at = next(n for n, line in enumerate(lines) if line.startswith("    r = "))
        return [
            *lines[: at + 1],
            "    if r.__class__ is RA:",
            f"        target[{key!r}] = r.value",
            "    else:",
            *("    " + line for line in lines[at + 1 :]),
        ]
    # An answer the database rendered for the field's node (rendered.py) is the field's answer.
    attribute = read_expr(namespace, index, plan.relation[1])
    return [
        *lines[:head],
        "    rv = rd.get(id(d[0].node)) if rd and len(d) == 1 else None",
        f"    if rv is not None and (k := {attribute}) in rv:",
        f"        target[{key!r}] = rv[k]",
        "    else:",
        *("    " + line for line in lines[head:]),
    ]


def _checked(
    index: int,
    value: str,
    place: str,
    path: str,
    indent: str,
    has_check: bool,
    then: Callable[[str, str, str], list[str]],
) -> list[str]:
    """The branches that check `value` and put its answer dict `a` in place (`place`), as the walk's
    `_object` does, then queue or fill it (`then`); the caller writes the `else` for anything else.

    A class in `NA` (`NEVER_AWAITABLE`) is a strawberry type's: its `is_type_of`, if it has one,
    is called as `_object` calls it. A row view's class (gql/engine/row_views.py) is remembered per object
    type once its `is_type_of` has passed (`TRUSTED`) and not asked again: views are read-only, so
    none can carry a `strawberry.cast` mark, and without one strawberry's `is_type_of` is an
    `isinstance` of the class, the same answer for every instance of it.
    """
    queue = [f"{indent}    a = {{}}", f"{indent}    {place}", *then(value, path, f"{indent}    ")]
    if not has_check:
        return [f"{indent}if {value}.__class__ in NA:", *queue]
    return [
        f"{indent}if {value}.__class__ in k{index}:",
        *queue,
        f"{indent}elif {value}.__class__ in NA:",
        f"{indent}    if not i{index}({value}, None):",
        f"{indent}        raise Fallback",
        f"{indent}    if {value}.__class__ in VIEWS:",
        f"{indent}        k{index}.add({value}.__class__)",
        *queue,
    ]
