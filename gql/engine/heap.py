"""Keep the garbage collector off the heap a server process builds once, at start-up.

`gc.freeze()` after start-up moves what exists then (modules, types, the schema, the engine) to a
permanent generation that collections skip; objects created afterwards are collected as before.
The young generation's threshold is raised from CPython's 700 to `YOUNG_THRESHOLD`: a request
holds thousands of container objects alive at once, all still in use, and leaves no cyclic
garbage behind (execution.py cuts the executor's cycles), so collections in the middle of a
request only walk live objects; a process that does make cyclic garbage still has it collected
after at most `YOUNG_THRESHOLD` allocations. bench/README.md has the measurements.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Net container allocations between two young-generation collections (CPython's default: 700)."""


def freeze_startup_heap() -> int:
    """Collect once, then exempt everything alive from future collections, and collect the young
    generation less often (module docstring); returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return gc.get_freeze_count()
