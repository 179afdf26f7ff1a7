"""Engines, sessions and SQL statement counting.

One engine per database URL for the process. Sessions are short and owned by their caller:
a service opens one per unit of work, a loader batch opens its own connection (loaders/base.py),
so no AsyncSession or connection is ever shared between concurrent tasks.

"""

from __future__ import annotations

import contextvars
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SessionFactory = async_sessionmaker[AsyncSession]


@dataclass(slots=True)
class StatementCounter:
    count: int = 0
    parent: StatementCounter | None = None
    """The counter that was current when this one opened: it counts these statements too, so a
    test's counter around a request still sees what the request's own (log) counter sees."""


_current_counter: contextvars.ContextVar[StatementCounter | None] = contextvars.ContextVar(
    "sql_statement_counter", default=None
)


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Count SQL statements run by this task and every task it spawns while the block is open.

    Loader batches run in tasks scheduled from the request's context, so they are counted too.
    """
    counter = StatementCounter(parent=_current_counter.get())
    token = _current_counter.set(counter)
    try:
        yield counter
    finally:
        _current_counter.reset(token)


@contextmanager
def uncounted() -> Iterator[None]:
    """Statements run inside are not counted by an enclosing `count_statements` (a test's shadow request)."""
    token = _current_counter.set(None)
    try:
        yield
    finally:
        _current_counter.reset(token)


def _on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # Transaction control (SQLite's explicit BEGIN) is not a query; PostgreSQL's never shows here.
    if not statement.startswith("BEGIN"):
        note_statement()


def note_statement() -> None:
    """Count one statement in every open `count_statements` of this task (the driver path calls
    this itself: services/driver_reads.py)."""
    counter = _current_counter.get()
    while counter is not None:
        counter.count += 1
        counter = counter.parent


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside one writer;
    # busy_timeout makes concurrent writers wait instead of failing with "database is locked".
    # The driver's own transaction handling is switched off: `_sqlite_begin` emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A write unit of work takes SQLite's write lock at BEGIN. A deferred transaction that reads
    # and then writes fails at once with "database is locked" when another writer got in between
    # (the busy timeout cannot help an upgrade); BEGIN IMMEDIATE waits its turn instead.
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "mallgraph_write"

IDLE_PING_SECONDS = 2.0
"""A pooled connection idle for longer is pinged before use; one used more recently is not."""


def _note_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Pessimistic disconnect handling, for connections that sat idle (HikariCP's bypass window).

    SQLAlchemy's `pool_pre_ping` pings at every checkout, and asyncpg's ping outside a
    transaction is BEGIN, `;`, ROLLBACK: three round trips before each statement of a loader
    batch, 21 for a 50-order page, on the server's CPU and on PostgreSQL's. A connection checked
    in a moment ago was alive a moment ago; one idle for longer than IDLE_PING_SECONDS (a
    database restart, a proxy's idle timeout) is pinged, and if the ping fails the pool drops it
    and hands out a fresh one (the `DisconnectionError` contract of the checkout event).
    """
    idle_since = record.info.get("idle_since")
    if idle_since is not None and time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise exc.DisconnectionError(f"stale pooled connection: {error}") from error


def create_engine(
    url: str, *, pool_size: int = 20, statement_timeout_ms: int = 0, echo: bool = False
) -> AsyncEngine:
    """The engine of `url`; on PostgreSQL a fixed pool of up to `pool_size` connections.

    Fixed: a connection opened under a burst stays open (no overflow), since each new connection
    costs PostgreSQL a backend, the driver its TLS attempt and authentication, and asyncpg its
    prepared statements and type introspection again (bench/README.md, the pool).
    """
    # JSON columns (store hours, payloads, snapshots) are parsed with orjson, as request bodies are.
    kwargs: dict[str, Any] = {"echo": echo, "json_deserializer": orjson.loads}

    if url.startswith("postgresql"):
        kwargs.update(pool_size=pool_size, max_overflow=0)

        # PostgreSQL notices a client that went away (a process stopped at the end of its shutdown
        # grace, a worker killed) only when it next writes to it: a statement waiting on a lock
        # would wait on. Checked every second, such a statement is cancelled (PostgreSQL 14+).
        server_settings = {"application_name": "mallgraph", "client_connection_check_interval": "1000"}
        if statement_timeout_ms:
            server_settings["statement_timeout"] = str(statement_timeout_ms)
        kwargs["connect_args"] = {"server_settings": server_settings}
    engine = create_async_engine(url, **kwargs)
    sync_engine: Engine = engine.sync_engine
    if url.startswith("sqlite"):
        event.listen(sync_engine, "connect", _sqlite_pragmas)
        event.listen(sync_engine, "begin", _sqlite_begin)
    else:
        event.listen(sync_engine.pool, "connect", _note_checkin)
        event.listen(sync_engine.pool, "checkin", _note_checkin)
        event.listen(sync_engine.pool, "checkout", _ping_if_idle)

    event.listen(sync_engine, "before_cursor_execute", _on_execute)
    return engine


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its folder (e.g. `var/` on a fresh clone)."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        Path(url[len(prefix) :].split("?", 1)[0]).parent.mkdir(parents=True, exist_ok=True)


def session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: objects stay readable after commit (we hand them to GraphQL types).
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A write transaction: committed when the block ends, rolled back on error.

    On SQLite it begins IMMEDIATE (see `_sqlite_begin`); on PostgreSQL it is a plain
    READ COMMITTED transaction whose writers lock rows explicitly where they must.
    """
    async with sessions() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


QUERY_CANCELED: Final = "57014"
"""PostgreSQL's SQLSTATE for a statement cancelled by `statement_timeout` (or a cancel request)."""


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, then every error it was raised from or while handling, each once."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += (current.__cause__, current.__context__)


def is_statement_timeout(error: BaseException) -> bool:
    """True when `error`, or an error it was raised from or while handling, is a statement timeout.

    Covers SQLAlchemy's wrapper (`DBAPIError.orig`) and the driver's own error (asyncpg's
    `QueryCanceledError`, seen unwrapped by the driver reads).
    """
    for current in error_chain(error):
        for candidate in (current, getattr(current, "orig", None)):
            code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if code == QUERY_CANCELED or (candidate is not None and "statement timeout" in str(candidate)):
                return True
    return False
