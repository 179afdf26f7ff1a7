"""The machinery of test_docs_examples.py: the fenced examples of a Markdown file and their
annotations, a server over a copy of the demo database, and running an example's operations.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shlex
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, print_ast

from cli import main as cli_main
from cli.cheatsheet import dev_subject
from gql.app import Resources, create_app
from gql.gate.auth import mint_token, principal_from_token
from gql.settings import PROJECT_ROOT, Settings, load_settings
from models.enums import Role
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from services.payments import DevPaymentGateway
from services.stores.reads import store_by_code

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
DEMO_ORDER_COUNT = 3000  # the Makefile's DEMO_ORDERS
_ANNOTATION = re.compile(r"<!--\s*example:(?P<args>.*?)-->")
_FENCE = re.compile(r"^```(?P<lang>\w*)\s*$")


@dataclass
class Example:
    path: Path
    line: int
    lang: str
    body: str
    options: dict[str, str] = field(default_factory=dict)
    binds: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT_ROOT)}:{self.line}"


def examples(path: Path) -> Iterator[Example]:
    """The fenced blocks of a Markdown file with the annotation just above each (if any)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None or not fence["lang"]:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        example = Example(path, i + 1, fence["lang"], "\n".join(lines[i + 1 : end]))
        above = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        note = _ANNOTATION.search(above)
        if note is not None:
            for word in note["args"].split():
                key, _, value = word.partition("=")
                if key == "bind":
                    var, _, source = value.partition(":")
                    example.binds[var] = source
                else:
                    example.options[key] = value
        yield example
        i = end + 1


def dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def user_errors(data: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("userErrors", "rowErrors") and value:
                yield f"{at}.{key}", value
            else:
                yield from user_errors(value, f"{at}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from user_errors(value, f"{at}.{index}")


@dataclass
class Server:
    http: httpx.AsyncClient
    settings: Settings
    url: str

    async def token(self, example: Example) -> str | None:
        role = example.options.get("role", "HQ_ADMIN")
        if role == "ANONYMOUS":
            return None
        store_ids: list[int] | None = None
        if "store" in example.options:
            engine = create_engine(self.url)
            try:
                store = await store_by_code(session_factory(engine), example.options["store"])
            finally:
                await engine.dispose()
            assert store is not None, example.where
            store_ids = [store.id]
        customer = int(example.options["customer"]) if "customer" in example.options else None
        subject = dev_subject(Role(role), customer)
        return mint_token(self.settings, Role(role), subject, store_ids=store_ids, customer_id=customer)

    async def run(self, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        r = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@asynccontextmanager
async def served_copy(demo: Path, tmp: Path) -> AsyncIterator[Server]:
    copy = tmp / "copy.db"
    shutil.copyfile(demo, copy)
    url = f"sqlite+aiosqlite:///{copy}"
    settings = load_settings(database_url=url, environment="dev", sweep_interval_seconds=0)
    engine = create_engine(url)
    app = create_app(
        resources=Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        ):
            yield Server(http, settings, url)
    finally:
        await engine.dispose()


def operations(document: DocumentNode) -> Iterator[tuple[str, str, OperationDefinitionNode]]:
    """(name, text to send, node) per operation, each with the fragments of the block."""
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    for op in document.definitions:
        if isinstance(op, OperationDefinitionNode):
            name = op.name.value if op.name else ""
            yield name, print_ast(DocumentNode(definitions=(op, *fragments))), op


def required(definition: Any) -> bool:
    return type(definition.type).__name__ == "NonNullTypeNode"


async def run_curl(server: Server, example: Example, monkeypatch: pytest.MonkeyPatch) -> None:
    command = re.search(r"mallgraph (token [^)]*)\)", example.body)
    payload = re.search(r"-d '(?P<json>[^']*)'", example.body)
    assert command is not None, f"{example.where}: no `mallgraph token` command"
    assert payload is not None, f"{example.where}: no -d body"
    monkeypatch.setenv("DATABASE_URL", server.url)
    out = io.StringIO()
    with redirect_stdout(out):
        assert await asyncio.to_thread(cli_main, shlex.split(command[1])) == 0
    token = out.getvalue().strip()
    principal_from_token(server.settings, token)
    request = json.loads(payload["json"])
    body = await server.run(request["query"], request.get("variables") or {}, token)
    assert not body.get("errors"), f"{example.where}: {body['errors']}"
