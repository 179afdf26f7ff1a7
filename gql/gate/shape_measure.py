"""The parts `gql/gate/shape.py` remembers per selection set and per fragment, and adds up.

Each is O(1) to combine except `Measure.keys`, whose merging `Shape` counts against its budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

MAX_SCHEMA_FIELDS: Final = 1


@dataclass(frozen=True, slots=True)
class Measure:
    """What a selection set adds to the expanded operation."""

    fields: int = 0
    depth: int = 0
    """Deepest chain of data fields; an introspection root counts 1, nothing below it."""
    of_type: int = 0
    type_lists: int = 0
    introspection_fields: int = 0
    introspection_aliases: int = 0
    schema_keys: frozenset[str] = frozenset()
    """Response keys of `__schema` fields (at most `MAX_SCHEMA_FIELDS + 1` kept)."""
    merged: int = 1
    """Most field nodes merged into one response path at or below this selection set."""
    squares: int = 0
    """Σ over response paths at or below it of (nodes merged there)², fragments counted as nodes."""
    nodes: int = 0
    """Σ over the same paths of the nodes merged there: (squares - nodes) / 2 bounds the pairs."""
    keys: Mapping[str, Key] = field(default_factory=dict)
    """The set's own response keys (its fields and inline fragments', not its spreads')."""
    reached: frozenset[str] = frozenset()
    """Fragments spread into this selection set, directly or through one another."""
    inline: int = 0
    """Inline fragments in this selection set, nested ones included."""


@dataclass(frozen=True, slots=True)
class Key:
    """The fields of one selection set sharing one response key, and what their selections hold."""

    count: int
    merged: int
    """The largest `merged` of their selection sets (1 for leaves)."""
    squares: int
    nodes: int

    def __add__(self, other: Key) -> Key:
        return Key(
            self.count + other.count,
            max(self.merged, other.merged),
            self.squares + other.squares,
            self.nodes + other.nodes,
        )


EMPTY: Final = Measure()


class Level:
    """One selection set being measured, with its inline fragments collected into it."""

    __slots__ = (
        "depth",
        "fields",
        "inline",
        "introspection_aliases",
        "introspection_fields",
        "keys",
        "of_type",
        "reached",
        "schema_keys",
        "type_lists",
    )

    def __init__(self) -> None:
        self.fields = self.depth = self.of_type = self.type_lists = self.inline = 0
        self.introspection_fields = self.introspection_aliases = 0
        self.schema_keys: frozenset[str] = frozenset()
        self.keys: dict[str, Key] = {}
        self.reached: set[str] = set()

    def add(self, part: Measure) -> None:
        self.fields += part.fields
        self.depth = max(self.depth, part.depth)
        self.of_type = max(self.of_type, part.of_type)
        self.type_lists = max(self.type_lists, part.type_lists)
        self.introspection_fields += part.introspection_fields
        self.introspection_aliases += part.introspection_aliases
        if part.schema_keys and len(self.schema_keys) <= MAX_SCHEMA_FIELDS:
            merged = self.schema_keys | part.schema_keys
            self.schema_keys = frozenset(list(merged)[: MAX_SCHEMA_FIELDS + 1])
