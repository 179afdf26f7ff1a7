"""What the HTTP gate hands to execution: kept apart so the context can name it without import cycles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request the gate let through: its text, the document parsed and validated, and its cost."""

    query: str
    document: DocumentNode
    cost: dict[str, Any] | None
    """`extensions.cost` of the response (None: not computed, e.g. a mutation refused over GET)."""
