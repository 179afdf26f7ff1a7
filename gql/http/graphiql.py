"""GraphiQL served by the app itself, offline, and the schema's SDL at a stable URL.

`GET /graphql` in a browser gets `graphiql_page`: GraphiQL with the explorer plugin, every script
and stylesheet from `/graphql/static/` (`gql/static/graphiql/`: pinned npm files, their licences
and SHA256SUMS, refreshed by `make graphiql-assets`; `start.js` is ours). The page's
Content-Security-Policy admits only the app itself, so the browser never reaches a CDN.
`GET /graphql/schema.graphql` is the SDL `mallgraph export-schema` writes, to callers who may
introspect (`may_introspect`); others get 403 `INTROSPECTION_DISABLED`.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gql.gate.limits import COUNTERS, may_introspect
from gql.schema import schema
from gql.settings import Settings
from models.errors import ErrorCode
from models.principals import ANONYMOUS, Principal

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "graphiql"
STATIC_PATH = "/graphql/static"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

STYLESHEETS = ("graphiql.min.css", "plugin-explorer.css")
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
    "start.js",
)
"""In load order: React, then GraphiQL (window.GraphiQL), the plugin (it reads both), our start-up."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Nothing but the app: fonts and icons are inlined in the CSS; connect-src 'self' covers ws(s) too."""

ASSET_CACHE = "public, max-age=31536000, immutable"
"""Asset URLs carry their content's hash (`?v=`), so a changed file is a new URL."""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    digest: str
    """sha256 of `body`, hex."""


@functools.cache
def _asset(name: str) -> Asset | None:
    """A served file by bare name: only .js and .css files directly in STATIC_DIR, else None."""
    served = {p.name: p for p in STATIC_DIR.iterdir() if p.suffix in CONTENT_TYPES and p.is_file()}
    path = served.get(name)
    if path is None:
        return None
    body = path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    return Asset(body, gzip.compress(body, 6, mtime=0), CONTENT_TYPES[path.suffix], digest)


async def load_asset(name: str) -> Asset | None:
    """The first load reads and compresses the file (tens of ms for GraphiQL) off the event loop."""
    return await asyncio.to_thread(_asset, name)


async def static_asset(request: Request) -> Response:
    """`GET /graphql/static/{name}`: a vendored file, gzip when accepted, cached for a year."""
    asset = await load_asset(request.path_params["name"])
    if asset is None:
        return Response("not found", status_code=404, media_type="text/plain")
    etag = f'"{asset.digest[:32]}"'
    headers = {"cache-control": ASSET_CACHE, "etag": etag, "vary": "accept-encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.content_type, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)


@functools.cache
def _page_html(root_path: str) -> str:
    def url(name: str) -> str:
        asset = _asset(name)
        if asset is None:
            raise FileNotFoundError(STATIC_DIR / name)
        return f"{root_path}{STATIC_PATH}/{name}?v={asset.digest[:16]}"

    links = "\n".join(f'    <link rel="stylesheet" href="{url(n)}">' for n in STYLESHEETS)
    scripts = "\n".join(f'    <script src="{url(n)}"></script>' for n in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>mallgraph · GraphiQL</title>
    <link rel="icon" href="data:,">
{links}
    <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
{scripts}
  </body>
</html>
"""


async def graphiql_page(request: Request) -> Response:
    """The GraphiQL page (the view's `render_graphql_ide`); relative to the app's root path."""
    html = await asyncio.to_thread(_page_html, request.scope.get("root_path", ""))
    return HTMLResponse(html, headers={"content-security-policy": CSP, "cache-control": "no-cache"})


@functools.cache
def schema_sdl() -> str:
    """The schema as SDL, exactly the committed schema.graphql."""
    return schema.as_str() + "\n"


def schema_endpoint(request: Request, settings: Settings) -> Response:
    """`GET /graphql/schema.graphql`: the SDL when the caller may introspect, else 403."""
    principal: Principal = request.scope.get("state", {}).get("principal", ANONYMOUS)
    private = {"cache-control": "private, no-cache", "vary": "authorization"}
    if not may_introspect(settings, principal.role):
        code = ErrorCode.INTROSPECTION_DISABLED
        COUNTERS.reject(code)
        error = {"message": "introspection is disabled for this caller", "extensions": {"code": code.value}}
        body = {"data": None, "errors": [error]}
        return Response(orjson.dumps(body), 403, headers=private, media_type="application/json")
    return Response(schema_sdl(), headers=private, media_type="text/plain; charset=utf-8")
