"""The CLI's error boundary: what went wrong and how to fix it, in one line.

`explain(exc, database_url)` turns a user's mistake or an unreachable dependency into a `CliError`
(the problem and the fix); anything it does not recognise is a bug and is reported as unexpected.
Tracebacks are shown only with `--debug` or `LOG_LEVEL=DEBUG` (see `cli.main`).
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Final

from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError

from gql.settings import SettingsError

SQLITE_PREFIX: Final = "sqlite+aiosqlite:///"
DEBUG_HINT: Final = "run with --debug or LOG_LEVEL=DEBUG for the traceback"
_UNREACHABLE_ERRNOS: Final = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
)


class CliError(Exception):
    """A problem the user can fix: `message` names it, `hint` says how (each one sentence)."""

    def __init__(self, message: str, hint: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def line(self) -> str:
        return f"mallgraph: error: {self.message}. {self.hint}"


def unexpected_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n", 1)[0].split()) or "(no message)"
    return f"mallgraph: unexpected error: {type(exc).__name__}: {text} ({DEBUG_HINT})"


def redact(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}" if ":" in creds else url
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    if not url.startswith(SQLITE_PREFIX) or ":memory:" in url:
        return None
    return Path(url[len(SQLITE_PREFIX) :].split("?", 1)[0])


def check_sqlite_folder(url: str) -> None:
    """Refuse a SQLite file in a missing folder before the driver fails on it.

    aiosqlite's worker thread also prints a stray traceback when its connection fails to open.
    """
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise CliError(
            f"the folder of the SQLite database {path} does not exist",
            "Run `mallgraph migrate` (it creates the folder and the tables) or fix DATABASE_URL",
        )


def not_migrated(url: str) -> CliError:
    return CliError(
        f"the database {redact(url)} is not migrated",
        "Run `mallgraph migrate` with the same DATABASE_URL first",
    )


def explain(exc: BaseException, database_url: str) -> CliError | None:
    """The user-facing reading of `exc`; None when it is not a known user or environment error."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, SettingsError):
        return CliError(
            "; ".join(str(exc).replace("Value error, ", "").splitlines()),
            "Fix the environment variable (or its line in .env)",
        )
    if isinstance(exc, DBAPIError):
        return _database_error(exc, database_url)
    if isinstance(exc, OSError):
        return _os_error(exc, database_url)
    if isinstance(exc, CommandError) and "Can't locate revision" in str(exc):
        return CliError(
            f"the database {redact(database_url)} was migrated by another version of mallgraph ({exc})",
            "Use the mallgraph version that migrated it, or a fresh database",
        )
    return _postgres_error(exc, database_url)


def _unreachable(url: str, reason: str) -> CliError:
    return CliError(
        f"cannot reach the database at {redact(url)} ({reason})",
        "Start the database server, or set DATABASE_URL to one that is running",
    )


def _os_error(exc: OSError, url: str) -> CliError | None:
    if isinstance(exc, ConnectionError | TimeoutError) or exc.errno in _UNREACHABLE_ERRNOS:
        return _unreachable(url, exc.strerror or str(exc) or type(exc).__name__)
    if isinstance(exc, socket.gaierror):
        return _unreachable(url, f"unknown host: {exc.strerror}")
    if exc.filename is not None:
        return CliError(
            f"cannot use {exc.filename}: {exc.strerror}",
            "Check the path, that its folder exists and that it may be written",
        )
    return None


def _database_error(exc: DBAPIError, url: str) -> CliError | None:
    found = _postgres_error(exc.orig, url)
    if found is not None:
        return found
    message = str(exc.orig)
    if "no such table" in message:
        return not_migrated(url)
    if "unable to open database file" in message:
        return CliError(
            f"cannot open the SQLite database {sqlite_path(url) or redact(url)}",
            "Check that its folder exists and may be written, or fix DATABASE_URL",
        )
    if "database is locked" in message:
        return CliError(
            f"the SQLite database {sqlite_path(url) or redact(url)} is locked by another process",
            "Stop the other mallgraph process using it (a server or a seed) and retry",
        )
    return None


def _postgres_error(exc: BaseException | None, url: str) -> CliError | None:
    """PostgreSQL errors by SQLSTATE, raised by asyncpg directly or wrapped by SQLAlchemy."""
    state = getattr(exc, "sqlstate", None)
    if not isinstance(state, str):
        return None
    if state == "3D000":
        return CliError(
            f"the database in DATABASE_URL does not exist ({exc})",
            "Create it (e.g. `createdb NAME`) or fix DATABASE_URL",
        )
    if state in ("28000", "28P01"):
        return CliError(
            f"PostgreSQL refused the login of DATABASE_URL ({exc})",
            "Fix the user or password in DATABASE_URL",
        )
    if state == "42P01":
        return not_migrated(url)
    if state.startswith("08") or state == "57P03":
        return _unreachable(url, str(exc))
    return None
