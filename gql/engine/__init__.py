"""The level-first executor and the read model it serves: the engine's whole public interface.

- The app installs `LevelFirstExecutor` as strawberry's `execution_context_class` and calls
  `freeze_startup_heap` once the process is built. Queries run level first on their happy path and
  give the same JSON as graphql-core's own executor; anything else is graphql-core's (`is_fault`:
  the failures answered at once instead of being run again).
- Schema types declare how they are built from row snapshots with `RowFields` (and `computed`,
  with `render_computed` saying how the database renders a computation's objects as JSON),
  and their relation fields as `strawberry.field(resolver=Relation(...).resolve_by(attribute))`
  (or as a method marked `@relation.marks(attribute)` that returns `relation(info, key)`).
- List resolvers ask what a document selects with `selected_paths` / `selected_columns` (or which
  fields of a type, `selected_python_fields`), and fill the request's narrowed loaders ahead of
  the walk with `narrowed_loader(...).fill(keys)`; on PostgreSQL their page statement renders
  as JSON the objects, or else the relation fields, the database can render (`rendered_objects`,
  `rendered_relations`), and their nodes are `answer_of` the page rows.

Nothing outside gql/engine/ imports its modules (tests/unit/test_engine_seam.py), except the
engine's own tests under tests/*/engine/.
"""

from gql.engine.execution import LevelFirstExecutor, is_fault
from gql.engine.heap import YOUNG_THRESHOLD, freeze_startup_heap
from gql.engine.loaded import Relation
from gql.engine.narrowed import narrowed_loader
from gql.engine.rendered import RenderedAnswer, Rendering, answer_of, rendered_objects, rendered_relations
from gql.engine.rendered_sql import render_computed
from gql.engine.row_views import Computed, RowFields, computed
from gql.engine.selection import Path, selected_columns, selected_paths, selected_python_fields

__all__ = [
    "YOUNG_THRESHOLD",
    "Computed",
    "LevelFirstExecutor",
    "Path",
    "Relation",
    "RenderedAnswer",
    "Rendering",
    "RowFields",
    "answer_of",
    "computed",
    "freeze_startup_heap",
    "is_fault",
    "narrowed_loader",
    "render_computed",
    "rendered_objects",
    "rendered_relations",
    "selected_columns",
    "selected_paths",
    "selected_python_fields",
]
