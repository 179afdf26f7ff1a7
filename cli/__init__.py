"""`mallgraph` command line: migrate, seed, serve, token, export-schema, recount-orders.

Every command reads the same settings as the server (environment variables, `.env`), so
`DATABASE_URL=... mallgraph migrate` and the server always agree on the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.errors import CliError, check_sqlite_folder, explain, redact, unexpected_line
from gql.http.logging_setup import configure_logging
from gql.settings import DEFAULT_SQLITE_URL, PROJECT_ROOT, Settings, load_settings
from models.enums import Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit status (0 ok, 1 error, 2 usage, 130 interrupted).

    Every failure ends in one line on stderr; `--debug` or `LOG_LEVEL=DEBUG` adds the traceback.
    """
    args = _parser().parse_args(argv)
    debug = args.debug or os.environ.get("LOG_LEVEL", "").upper() == "DEBUG"
    database_url = os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL)
    try:
        settings = load_settings()
        database_url = settings.database_url
        debug = debug or settings.log_level.value == "DEBUG"
        configure_logging(settings)
        return _COMMANDS[args.command](settings, args)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print("mallgraph: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `mallgraph export-schema | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
        known = explain(exc, database_url)
        print(known.line() if known else unexpected_line(exc), file=sys.stderr)
        return known.exit_code if known else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mallgraph", description="GraphQL BFF of a smart-retail chain")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations (Alembic) to DATABASE_URL")

    seed = sub.add_parser("seed", help="generate deterministic demo or benchmark data")
    seed.add_argument("--orders", type=_count, default=3000, help="number of orders (default 3000)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the database already has data")
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    seed.add_argument(
        "--now",
        type=_aware_datetime,
        help="the moment the data ends (ISO 8601 with offset; default: the start of the current hour, UTC)",
    )

    serve = sub.add_parser("serve", help="serve GraphQL (GraphiQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (each runs the sweeps; see docs/deployment.md)",
    )

    token = sub.add_parser("token", help="mint a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument(
        "--store", action="append", default=[], help="store code or id (STORE_STAFF; repeatable)"
    )
    token.add_argument("--customer", type=int, help="customer id (SHOPPER)")
    token.add_argument("--sub", help="subject (default: derived from the role)")
    token.add_argument(
        "--ttl", type=_positive, default=24 * 3600, help="lifetime in seconds (default one day)"
    )

    recount = sub.add_parser(
        "recount-orders",
        help="check the order count parts (totalCount, status tabs) against the orders; exit 1 on a mismatch",
    )
    recount.add_argument(
        "--repair",
        action="store_true",
        help="rebuild the parts from the orders (order writes wait meanwhile)",
    )

    sheet = sub.add_parser("cheatsheet", help="print GraphiQL's URL, a token per role and demo handles")
    sheet.add_argument("--host", default="127.0.0.1")
    sheet.add_argument("--port", type=int, default=8000)

    export = sub.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    for command in sub.choices.values():  # `mallgraph seed --debug` works too
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from services.db import ensure_sqlite_directory
    from services.migrations import upgrade

    try:
        ensure_sqlite_directory(settings.database_url)
    except OSError as exc:
        raise CliError(
            f"cannot create the folder of the SQLite database ({exc.filename}: {exc.strerror})",
            "Fix the file's path in DATABASE_URL",
        ) from exc
    upgrade(settings.database_url)
    print(f"database migrated: {redact(settings.database_url)}")
    return 0


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from bench.generator import database_is_empty, generate

    async def run() -> int:
        engine = _engine(settings.database_url)
        try:
            if not await database_is_empty(engine):
                if args.if_empty:
                    print("database already has data; not seeding")
                    return 0
                raise CliError(
                    f"the database {redact(settings.database_url)} already has data",
                    "Seed an empty database, or pass --if-empty to skip seeding then",
                )
            now = args.now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            report = await generate(
                engine,
                orders=args.orders,
                seed=args.seed,
                now=now,
                progress=not args.quiet,
                zone=settings.zone,
            )
        finally:
            await engine.dispose()
        print(
            f"seeded {report.rows.get('orders', 0):,} orders, {report.total_rows:,} rows in "
            f"{report.seconds:.1f}s ({report.rows_per_second:,.0f} rows/s)"
        )
        return 0

    return asyncio.run(run())


def _recount_orders(settings: Settings, args: argparse.Namespace) -> int:
    """The operator's check of the order count parts and the day count parts, and their repair."""
    from cli.recount import recount
    from services.db import session_factory

    async def run() -> int:
        engine = _engine(settings.database_url, statement_timeout_ms=0)
        try:
            return await recount(session_factory(engine), settings.zone, repair=args.repair)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    metrics_dir: str | None = None
    if args.workers > 1 and args.reload:
        raise CliError("--reload and --workers do not mix", "Give one of them", exit_code=2)
    asyncio.run(_check_database(settings.database_url))
    if args.workers > 1:
        metrics_dir = _prometheus_multiprocess_dir()
        if not settings.redis_url:
            print(
                "warning: --workers without REDIS_URL: each worker has its own cache and event bus, so "
                "subscribers hear other workers' events only at their catch-up "
                f"(every {settings.subscription_catchup_seconds:g}s)",
                file=sys.stderr,
            )
    print(f"GraphiQL: http://{args.host}:{args.port}/graphql ({args.workers} worker(s))", file=sys.stderr)
    uvicorn.run(
        "gql.app:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload=args.reload,
        reload_dirs=[str(PROJECT_ROOT)] if args.reload else None,
        log_level=settings.log_level.value.lower(),
        log_config=None,  # the app's JSON logging (gql/http/logging_setup.py) in every worker
        access_log=False,  # one request line comes from RequestLogMiddleware, with more in it
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,  # whole seconds for uvicorn
        **proxy_options(settings),
    )
    if metrics_dir is not None:
        import shutil

        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's client address: X-Forwarded-For / -Proto are believed from FORWARDED_ALLOW_IPS only."""
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}


def _prometheus_multiprocess_dir() -> str:
    """Workers share metrics through files in one directory; it must exist, empty, before they start."""
    import os
    import shutil
    import tempfile

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True)
    else:
        path = tempfile.mkdtemp(prefix="mallgraph-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from cli.cheatsheet import dev_subject
    from gql.gate.auth import mint_token

    role = Role(args.role)
    if role is Role.STORE_STAFF and not args.store:
        raise CliError(
            "STORE_STAFF needs --store", "Give a store code or id, e.g. --store SH001", exit_code=2
        )
    if role is Role.SHOPPER and args.customer is None:
        raise CliError("SHOPPER needs --customer", "Give a customer id, e.g. --customer 1", exit_code=2)
    store_ids = None
    if args.store or args.customer is not None:
        store_ids = asyncio.run(_checked_scope(settings, args.store, args.customer)) or None
    subject = args.sub or dev_subject(role, args.customer)
    print(
        mint_token(
            settings, role, subject, store_ids=store_ids, customer_id=args.customer, ttl_seconds=args.ttl
        )
    )
    return 0


async def _checked_scope(settings: Settings, refs: list[str], customer_id: int | None) -> list[int]:
    """Store ids from ids or codes (`--store SH001` works); every store and the customer must exist."""
    from models.customers.rows import Customer
    from models.stores.rows import Store
    from services.db import session_factory
    from services.stores.reads import store_by_code

    ids: list[int] = []
    engine = _engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        for ref in refs:
            if ref.isdigit():
                async with sessions() as session:
                    store = await session.get(Store, int(ref))
                what = f"no store with id {ref}"
            else:
                store = await store_by_code(sessions, ref)
                what = f"no store with code {ref!r}"
            if store is None:
                raise CliError(
                    f"{what} in {redact(settings.database_url)}", "Give an existing store's code or id"
                )
            ids.append(store.id)
        if customer_id is not None:
            async with sessions() as session:
                customer = await session.get(Customer, customer_id)
            if customer is None:
                raise CliError(
                    f"no customer {customer_id} in {redact(settings.database_url)}",
                    "Give an existing customer's id",
                )
    finally:
        await engine.dispose()
    return ids


def _cheatsheet(settings: Settings, args: argparse.Namespace) -> int:
    from cli.cheatsheet import cheat_sheet, render
    from services.db import session_factory

    async def run() -> str:
        engine = _engine(settings.database_url)
        try:
            url = f"http://{args.host}:{args.port}/graphql"
            return render(await cheat_sheet(settings, session_factory(engine), url=url))
        finally:
            await engine.dispose()

    print(asyncio.run(run()))
    return 0


def _export_schema(_settings: Settings, args: argparse.Namespace) -> int:
    from gql.http.graphiql import schema_sdl

    sdl = schema_sdl()
    if args.output:
        try:
            args.output.write_text(sdl, encoding="utf-8")
        except OSError as exc:
            raise CliError(
                f"cannot write {args.output}: {exc.strerror}",
                "Create its folder first, or give another --output",
            ) from exc
    else:
        sys.stdout.write(sdl)
    return 0


def _aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone offset, e.g. 2026-11-23T12:00:00+08:00")
    return value.astimezone(UTC)


async def _check_database(url: str) -> None:
    """Raise before serving when the database is unreachable or not migrated."""
    from sqlalchemy import text

    engine = _engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1 FROM stores LIMIT 1"))
    finally:
        await engine.dispose()


def _count(text: str) -> int:
    """A whole number, 0 or more (argparse reports the ValueError of a non-number itself)."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _engine(url: str, *, statement_timeout_ms: int = 0) -> AsyncEngine:
    """The engine of an existing database (`migrate` creates a SQLite file's folder; others refuse)."""
    from services.db import create_engine

    check_sqlite_folder(url)
    return create_engine(url, statement_timeout_ms=statement_timeout_ms)


_COMMANDS = {
    "migrate": _migrate,
    "seed": _seed,
    "serve": _serve,
    "token": _token,
    "export-schema": _export_schema,
    "recount-orders": _recount_orders,
    "cheatsheet": _cheatsheet,
}
