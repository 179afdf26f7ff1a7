"""GraphiQL in a real browser, offline: headless Chromium opens /graphql on a live server.

Every request to a host other than the app is blocked and recorded; the page must render,
run the default query, and show the docs and the explorer without any of them, without a
failed asset and without a console error (a CSP refusal is one). Needs the machine's Chromium
(`/usr/bin/chromium`; `.ci/run` installs it): locally the test skips without it, in CI it fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import ConsoleMessage, Page, Request, Response, Route, async_playwright, expect

from gql.settings import load_settings
from services.db import create_engine, session_factory
from services.migrations import upgrade
from tests.api.live_server import LiveServer, live_server
from tests.conftest import Database, unavailable
from tests.factories import Seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APP_HOST = "127.0.0.1"
TIMEOUT_MS = 30_000


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """The app on a loopback port over a fresh, migrated SQLite file with two categories."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'graphiql.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    db = Database("sqlite", url, engine, session_factory(engine))
    seed = Seed(db.sessions)
    await seed.category("Fresh fruit")
    await seed.category("Dairy")
    try:
        async with live_server(db, load_settings(database_url=url, environment="test")) as live:
            yield live
    finally:
        await engine.dispose()


async def test_graphiql_renders_runs_a_query_and_shows_the_docs_offline(
    chromium: Path, server: LiveServer
) -> None:
    outside: list[str] = []
    failed: list[str] = []
    console_errors: list[str] = []

    async def only_the_app(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname == APP_HOST or request.url.startswith("data:"):
            await route.continue_()
        else:
            outside.append(request.url)
            await route.abort("blockedbyclient")

    def note_response(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    def note_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    expect.set_options(timeout=TIMEOUT_MS)  # the first load parses 3.5 MB of GraphiQL on a busy machine
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.route("**/*", only_the_app)
            page.on("response", note_response)
            page.on("requestfailed", lambda r: failed.append(f"{r.failure} {r.url}"))
            page.on("console", note_console)
            page.on("pageerror", lambda e: console_errors.append(str(e)))

            await page.goto(f"http://{APP_HOST}:{server.port}/graphql", wait_until="load")
            try:
                await run_the_default_query(page)
                await open_the_docs(page)
                await open_the_explorer(page)
            except AssertionError as exc:
                exc.add_note(f"blocked: {outside}\nfailed: {failed}\nconsole errors: {console_errors}")
                raise
        finally:
            await browser.close()

    assert outside == []
    assert failed == []
    assert console_errors == []


async def run_the_default_query(page: Page) -> None:
    run = page.locator(".graphiql-execute-button")
    await expect(run).to_be_visible()
    await expect(page.locator(".graphiql-query-editor")).to_contain_text("categories")
    await run.click()
    result = page.locator(".graphiql-response")
    await expect(result).to_contain_text('"Fresh fruit"')
    await expect(result).to_contain_text('"Dairy"')


async def open_the_docs(page: Page) -> None:
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    await expect(docs).to_contain_text("Root Types")
    await docs.get_by_role("link", name="Query", exact=True).click()
    await expect(docs.locator(".graphiql-doc-explorer-title")).to_have_text("Query")
    await expect(docs).to_contain_text("orders")
    await expect(docs).to_contain_text("categories")


async def open_the_explorer(page: Page) -> None:
    await page.get_by_role("button", name="Show GraphiQL Explorer").click()
    await expect(page.locator(".graphiql-explorer-root")).to_contain_text("categories")
