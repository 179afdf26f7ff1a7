"""The fragment-cycle check `gql/gate/shape.py` runs first: a fragment that spreads itself, through any chain.

It must come before any recursive measure, which would never end on a cycle, so it is iterative:
one walk of each fragment's selections, then a depth-first search over the spreads, O(n) in the
document's selection nodes. The error reads as graphql-core's NoFragmentCycles would.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode

from models.errors import ErrorCode


def refuse_fragment_cycles(fragments: Mapping[str, FragmentDefinitionNode]) -> int:
    """The selection nodes visited (each once); raises `GRAPHQL_VALIDATION_FAILED` at a cycle."""
    work = 0
    spreads: dict[str, list[FragmentSpreadNode]] = {}
    for name, fragment in fragments.items():
        found = spreads[name] = []
        stack = [fragment.selection_set]
        while stack:
            for selection in stack.pop().selections:
                work += 1
                if isinstance(selection, FragmentSpreadNode):
                    if selection.name.value in fragments:
                        found.append(selection)
                elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                    stack.append(selection.selection_set)
    done: set[str] = set()
    for start in fragments:
        if start in done:
            continue
        path = [start]
        pending = [iter(spreads[start])]
        while pending:
            spread = next(pending[-1], None)
            if spread is None:
                done.add(path.pop())
                pending.pop()
                continue
            name = spread.name.value
            if name in path:
                via = path[path.index(name) + 1 :]
                through = f" via {', '.join(repr(v) for v in via)}" if via else ""
                raise GraphQLError(
                    f"Cannot spread fragment '{name}' within itself{through}.",
                    spread,
                    extensions={"code": ErrorCode.GRAPHQL_VALIDATION_FAILED.value},
                )
            if name not in done:
                path.append(name)
                pending.append(iter(spreads[name]))
    return work
