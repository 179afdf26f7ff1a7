from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import DBAPIError

from tests.conftest import Database
from tests.factories import Seed


@pytest.fixture
async def db(database: Database) -> Database:
    """Like the shared `db`, but the servers' sweeps keep running while we empty the tables:
    the reset's deletes may meet one of their transactions in a deadlock, and then simply go again."""
    for attempt in range(10):
        try:
            await database.reset()
            break
        except DBAPIError as exc:
            if "deadlock" not in str(exc) or attempt == 9:
                raise
            await asyncio.sleep(0.2)
    return database


@pytest.fixture
def seed(db: Database) -> Seed:
    return Seed(db.sessions)
