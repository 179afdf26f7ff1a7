"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.generator import GenerationReport
from tests.integration import generated_shop as shop


@pytest.fixture(scope="module")
async def generated(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[AsyncEngine, GenerationReport]]:
    """The generated shop of `generated_shop` (read-only), with an engine per test module."""
    engine, report = await shop.shared_shop(tmp_path_factory)
    yield engine, report
    await engine.dispose()
