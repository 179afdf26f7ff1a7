"""`mallgraph` command line: migrate, seed, serve, token, export-schema, recount-orders.

Every command reads the same settings as the server (environment variables, `.env`), so
`DATABASE_URL=... mallgraph migrate` and the server always agree on the database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from gql.logging_setup import configure_logging
from gql.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from models.enums import Role


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings)
    handler = _COMMANDS[args.command]
    return handler(settings, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mallgraph", description="GraphQL BFF of a smart-retail chain")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations (Alembic) to DATABASE_URL")

    seed = sub.add_parser("seed", help="generate deterministic demo or benchmark data")
    seed.add_argument("--orders", type=int, default=3000, help="number of orders (default 3000)")
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
    token.add_argument("--ttl", type=int, default=24 * 3600, help="lifetime in seconds (default one day)")

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
    return parser


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from services.migrations import upgrade

    upgrade(settings.database_url)
    print(f"database migrated: {_redact(settings.database_url)}")
    return 0


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    from bench.generator import database_is_empty, generate
    from services.db import create_engine

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            if not await database_is_empty(engine):
                if args.if_empty:
                    print("database already has data; not seeding")
                    return 0
                print("database already has data; seed an empty database", file=sys.stderr)
                return 1
            now = args.now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            report = await generate(
                engine, orders=args.orders, seed=args.seed, now=now, progress=not args.quiet
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
    """The operator's check of `order_count_parts` (models/order_counts.py), and its repair."""
    from services.db import create_engine, session_factory
    from services.order_counts import mismatches, rebuild_parts

    async def run() -> int:
        engine = create_engine(settings.database_url, statement_timeout_ms=0)
        sessions = session_factory(engine)
        try:
            found = await mismatches(sessions)
            for m in found:
                store = "HQ warehouse" if m.store_id is None else f"store {m.store_id}"
                print(f"{store} {m.status}: parts sum to {m.parts:,}, orders {m.orders:,}")
            if not found:
                print("order counts match the orders")
                return 0
            if not args.repair:
                print(f"{len(found)} (store, status) counts differ; run with --repair to rebuild them")
                return 1
            written = await rebuild_parts(sessions)
            left = await mismatches(sessions)
        finally:
            await engine.dispose()
        print(f"rebuilt: {written} parts, {len(left)} counts differ now")
        return 0 if not left else 1

    return asyncio.run(run())


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    metrics_dir: str | None = None
    if args.workers > 1:
        if args.reload:
            print("--reload and --workers do not mix", file=sys.stderr)
            return 2
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
        log_config=None,  # the app's JSON logging (gql/logging_setup.py) in every worker
        access_log=False,  # one request line comes from RequestLogMiddleware, with more in it
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,  # whole seconds for uvicorn
    )
    if metrics_dir is not None:
        import shutil

        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


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
    from gql.auth import mint_token

    role = Role(args.role)
    store_ids = asyncio.run(_store_ids(settings, args.store)) if args.store else None
    if role is Role.STORE_STAFF and not store_ids:
        print("STORE_STAFF needs --store (code or id)", file=sys.stderr)
        return 2
    if role is Role.SHOPPER and args.customer is None:
        print("SHOPPER needs --customer ID", file=sys.stderr)
        return 2
    subject = args.sub or (
        f"customer:{args.customer}" if role is Role.SHOPPER else f"dev-{role.value.lower()}"
    )
    print(
        mint_token(
            settings, role, subject, store_ids=store_ids, customer_id=args.customer, ttl_seconds=args.ttl
        )
    )
    return 0


async def _store_ids(settings: Settings, refs: list[str]) -> list[int]:
    """Store ids from ids or codes (codes are looked up, so `--store SH001` works)."""
    from services.db import create_engine, session_factory
    from services.stores import store_by_code

    ids: list[int] = []
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        for ref in refs:
            if ref.isdigit():
                ids.append(int(ref))
                continue
            store = await store_by_code(sessions, ref)
            if store is None:
                raise SystemExit(f"no store with code {ref!r}")
            ids.append(store.id)
    finally:
        await engine.dispose()
    return ids


def _cheatsheet(settings: Settings, args: argparse.Namespace) -> int:
    from cli.cheatsheet import cheat_sheet, render
    from services.db import create_engine, session_factory

    async def run() -> str:
        engine = create_engine(settings.database_url)
        try:
            url = f"http://{args.host}:{args.port}/graphql"
            return render(await cheat_sheet(settings, session_factory(engine), url=url))
        finally:
            await engine.dispose()

    print(asyncio.run(run()))
    return 0


def _export_schema(_settings: Settings, args: argparse.Namespace) -> int:
    from gql.schema import schema

    sdl = schema.as_str() + "\n"
    if args.output:
        args.output.write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)
    return 0


def _aware_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone offset, e.g. 2026-11-23T12:00:00+08:00")
    return value.astimezone(UTC)


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{host}" if ":" in creds else url
    return url


_COMMANDS = {
    "migrate": _migrate,
    "seed": _seed,
    "serve": _serve,
    "token": _token,
    "export-schema": _export_schema,
    "recount-orders": _recount_orders,
    "cheatsheet": _cheatsheet,
}
