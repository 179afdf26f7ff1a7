"""What a document selects below the current field, as paths of field names.

Resolvers use it to do only the work the client asked for: the order list prefetches the
relations it selects (gql/prefetch.py), the group-buy page computes its per-viewer part (the part
that costs SQL) only when `viewer` is selected. Fragments and inline fragments are looked
through; aliases do not matter (the paths hold field names).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from gql.context import Info

Path = tuple[str, ...]


def selected_paths(info: Info) -> frozenset[Path]:
    """Every path of field names the document selects below the current field (through fragments)."""
    found: set[Path] = set()

    def walk(selections: Iterable[Any], prefix: Path) -> None:
        for s in selections:
            if isinstance(s, SelectedField):
                path = (*prefix, s.name)
                found.add(path)
                walk(s.selections, path)
            elif isinstance(s, (FragmentSpread, InlineFragment)):
                walk(s.selections, prefix)

    for field in info.selected_fields:
        walk(field.selections, ())
    return frozenset(found)
