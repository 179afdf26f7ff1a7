"""Draining a job queue in the background of this process: at most one task per (queue, database).

Used by export jobs and coupon push jobs. The queue itself is in the database (claimed with SKIP
LOCKED, taken over after a lost heartbeat), so a kick only makes this process look sooner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("mallgraph.background")


@dataclass(slots=True)
class _Drainer:
    task: asyncio.Task[None] | None = None
    wanted: bool = False


_DRAINERS: dict[tuple[str, int], _Drainer] = {}


def kick(queue: str, database: object, run_next: Callable[[], Awaitable[bool]]) -> None:
    """Run `run_next` until it returns False, in a background task of this process.

    A kick during a drain makes the drain look again before it ends, so a job committed
    meanwhile is never left waiting.
    """
    drainer = _DRAINERS.setdefault((queue, id(database)), _Drainer())
    drainer.wanted = True
    if drainer.task is None or drainer.task.done():
        drainer.task = asyncio.create_task(_drain(queue, drainer, run_next), name=f"mallgraph-{queue}")


async def _drain(queue: str, drainer: _Drainer, run_next: Callable[[], Awaitable[bool]]) -> None:
    while drainer.wanted:
        drainer.wanted = False
        try:
            while await run_next():
                pass
        except Exception:
            log.exception("running %s failed; the next sweep retries", queue)
