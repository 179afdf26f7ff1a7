"""`RowLoader.fill`: the values and cache `load_many` would give, with one batch call per fill."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy.dialects import postgresql

from gql.engine.loaded import now_or_later
from loaders.base import IntegerKeys, RowLoader


class Recorder:
    """A batch function that records the keys of each call and answers key × 10 (None for 0)."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    async def batch(self, keys: Sequence[int]) -> list[int | None]:
        self.calls.append(list(keys))
        await asyncio.sleep(0)
        return [k * 10 if k else None for k in keys]


async def test_fill_loads_missing_keys_in_one_call_and_later_loads_hit_the_cache() -> None:
    batch = Recorder()
    loader: RowLoader[int, int | None] = RowLoader(batch.batch)
    assert await loader.fill([3, 1, 3, 0]) == {3: 30, 1: 10, 0: None}
    assert batch.calls == [[3, 1, 0]]
    future = loader.load(1)
    assert future.done()  # the relation field answers synchronously
    assert future.result() == 10

    assert await loader.fill([1, 2]) == {1: 10, 2: 20}
    assert batch.calls == [[3, 1, 0], [2]]  # only the key not cached yet


async def test_fill_awaits_keys_another_caller_is_loading_instead_of_loading_them_twice() -> None:
    batch = Recorder()
    loader: RowLoader[int, int | None] = RowLoader(batch.batch)
    pending = loader.load(5)  # a field asked first; its batch is queued, not run yet
    assert await loader.fill([5, 6]) == {5: 50, 6: 60}
    assert await pending == 50
    assert sorted(sorted(c) for c in batch.calls) == [[5], [6]]


async def test_a_failing_batch_fails_the_fill_like_load_many() -> None:
    async def broken(keys: Sequence[int]) -> list[int]:
        raise RuntimeError("database went away")

    loader: RowLoader[int, int] = RowLoader(broken)
    with pytest.raises(RuntimeError, match="went away"):
        await loader.fill([1])


async def test_load_gives_the_cached_future_and_queues_only_misses() -> None:
    batch = Recorder()
    loader: RowLoader[int, int | None] = RowLoader(batch.batch)
    await loader.fill([1])
    assert loader.load(1) is loader.load(1)
    assert list(await asyncio.gather(loader.load(2), loader.load(1))) == [20, 10]
    assert batch.calls == [[1], [2]]
    with pytest.raises(TypeError, match="must be called with a value"):
        loader.load(None)  # type: ignore[arg-type]


async def test_filled_values_are_read_without_a_future_until_one_is_asked_for() -> None:
    batch = Recorder()
    loader: RowLoader[int, int | None] = RowLoader(batch.batch)
    await loader.fill([4, 0])
    assert loader.values == {4: 40, 0: None}
    assert now_or_later(loader, 4, str) == "40"  # read off `values`, no future made
    assert now_or_later(loader, 0, str) == "None"
    assert not loader.futures
    assert loader.load(4).result() == 40  # a resolved future once a caller asks for one
    loader.clear(4)
    assert 4 not in loader.values
    later = now_or_later(loader, 4, str)  # forgotten: loaded again, later
    assert await later == "40"  # type: ignore[misc]
    assert batch.calls == [[4, 0], [4]]
    loader.clear_all()
    assert not loader.values


def test_integer_keys_are_one_array_literal_and_nothing_else_passes() -> None:
    """PostgreSQL batches send integer keys as one `{…}` literal cast to the key's array type."""
    bind = IntegerKeys().process_bind_param
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    assert bind([3, 1, 2**62, -5], dialect) == "{3,1,4611686018427387904,-5}"
    assert bind([], dialect) == "{}"
    assert bind(None, dialect) is None
    for bad in (["1"], [1.5], [None], ["1}, {2"]):
        with pytest.raises(TypeError):
            bind(bad, dialect)  # type: ignore[arg-type]
