"""What loaders/base.py `RowLoader` relies on in aiodataloader's public API, pinned.

No private name is used (RowLoader passes its own `cache_map`); this pins how DataLoader fills it.
"""

from __future__ import annotations

from importlib.metadata import version

from aiodataloader import DataLoader

TESTED_VERSION = "0.4.3"
INSTALLED = version("aiodataloader")
UPGRADED = f"aiodataloader {INSTALLED} (loaders/base.py RowLoader was checked against {TESTED_VERSION})"


async def _double(keys: list[int]) -> list[int]:
    return [2 * k for k in keys]


def test_the_installed_version_is_the_one_checked() -> None:
    assert INSTALLED == TESTED_VERSION, (
        f"{UPGRADED}: run the tests of this module; when they pass, set TESTED_VERSION to {INSTALLED}"
    )


async def test_the_cache_map_holds_each_key_s_future() -> None:
    futures: dict[int, object] = {}
    loader: DataLoader[int, int] = DataLoader(_double, cache_map=futures)  # type: ignore[arg-type]
    pending = loader.load(3)
    assert futures == {3: pending}, f"{UPGRADED}: load no longer caches by the key itself"
    assert await pending == 6, UPGRADED
    loader.prime(4, 9)
    primed = futures[4]
    assert primed.done(), f"{UPGRADED}: prime no longer caches a done future"  # type: ignore[attr-defined]
    assert primed.result() == 9, f"{UPGRADED}: prime no longer caches a done future"  # type: ignore[attr-defined]
    loader.clear(3)
    assert 3 not in futures, UPGRADED
    loader.clear_all()
    assert futures == {}, f"{UPGRADED}: clear_all no longer empties the given map"
    assert loader.batch_load_fn is _double, UPGRADED
