"""GraphiQL's page and its vendored files, served by the app; the SDL at /graphql/schema.graphql."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from gql.http.graphiql import CSP, SCRIPTS, STATIC_DIR, STYLESHEETS
from models.enums import Role
from tests.api.gated_app import gated_api

ROOT = Path(__file__).resolve().parents[2]
BROWSER = {"accept": "text/html,application/xhtml+xml"}


def recorded_sums() -> dict[str, str]:
    lines = (STATIC_DIR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_vendored_files_match_sha256sums_and_the_readme() -> None:
    sums = recorded_sums()
    assert {"graphiql.min.js", "react.production.min.js", "LICENSE.graphiql"} <= sums.keys()
    for name, digest in sums.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
    readme = (STATIC_DIR / "README.txt").read_text(encoding="utf-8")
    for name, digest in sums.items():
        if not name.startswith("LICENSE"):
            assert f"{digest}  {name}" in readme, name
    ours = {"README.txt", "SHA256SUMS", "start.js"}
    assert {p.name for p in STATIC_DIR.iterdir()} == sums.keys() | ours


async def test_page_loads_every_file_from_the_app_and_nothing_else() -> None:
    async with gated_api() as api:
        page = await api.http.get("/graphql", headers=BROWSER)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == CSP
        html = page.text
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        names = [u.split("?")[0].removeprefix("/graphql/static/") for u in urls[1:]]
        assert urls[0] == "data:,"
        assert names == [*STYLESHEETS, *SCRIPTS]
        assert "http://" not in html
        assert "https://" not in html
        sums = recorded_sums()
        for url, name in zip(urls[1:], names, strict=True):
            r = await api.http.get(url, headers={"accept-encoding": "identity"})
            assert r.status_code == 200, url
            digest = hashlib.sha256(r.content).hexdigest()
            assert url.endswith(f"?v={digest[:16]}")
            assert sums.get(name, digest) == digest, name
            assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
            kind = "text/css" if name.endswith(".css") else "text/javascript"
            assert r.headers["content-type"] == f"{kind}; charset=utf-8"


async def test_assets_are_gzipped_when_asked_and_revalidate_by_etag() -> None:
    async with gated_api() as api:
        raw = await api.http.get("/graphql/static/graphiql.min.js", headers={"accept-encoding": "identity"})
        zipped = await api.http.get(
            "/graphql/static/graphiql.min.js", headers={"accept-encoding": "gzip, br"}
        )
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) < len(raw.content) / 3
        assert zipped.content == raw.content  # httpx decoded it
        again = await api.http.get(
            "/graphql/static/graphiql.min.js", headers={"if-none-match": raw.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""


async def test_only_the_vendored_scripts_and_styles_are_served() -> None:
    async with gated_api() as api:
        for name in ("README.txt", "SHA256SUMS", "LICENSE.react", "nope.js", "..%2F..%2Fapp.py"):
            r = await api.http.get(f"/graphql/static/{name}")
            assert r.status_code == 404, name


async def test_sdl_is_the_committed_schema() -> None:
    async with gated_api() as api:
        r = await api.http.get("/graphql/schema.graphql")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.text == (ROOT / "schema.graphql").read_text(encoding="utf-8")


async def test_sdl_follows_the_introspection_rule() -> None:
    async with gated_api(environment="prod") as api:
        anonymous = await api.http.get("/graphql/schema.graphql")
        assert anonymous.status_code == 403
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
        for role, allowed in ((Role.SHOPPER, False), (Role.ANALYST, True), (Role.HQ_ADMIN, True)):
            token = api.as_role(role, customer_id=1 if role is Role.SHOPPER else None).token
            r = await api.http.get("/graphql/schema.graphql", headers={"authorization": f"Bearer {token}"})
            assert r.status_code == (200 if allowed else 403), role
    async with gated_api(environment="prod", public_introspection=True) as api:
        assert (await api.http.get("/graphql/schema.graphql")).status_code == 200
