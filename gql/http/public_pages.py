"""Public pages cached end to end: HTTP caching headers, 304s and a whole-response cache.

A request is a *public page* when all of these hold, and only then:

* `GET /graphql` by persisted-query hash alone (`extensions.persistedQuery.sha256Hash`, no `query`
  parameter), without an `Authorization` header;
* its operation is a query whose root fields are all in `PUBLIC_ROOT_FIELDS` (group-buy page,
  campaign page, product browse) and which selects no field named `viewer` at any depth;
* the answer has no `errors`.

Its answer is the same for every caller, so it carries `Cache-Control: public, max-age, s-maxage,
stale-while-revalidate` (PUBLIC_CACHE_SECONDS, PUBLIC_CACHE_STALE_SECONDS), a strong `ETag` of its
bytes and `Vary: Authorization`, answers `304 Not Modified` to a matching `If-None-Match`, and has no
`extensions.cost` (that is the caller's own bucket). Every other GET answer is `private, no-store`:
anything personal is fetched by a separate request, so the shared part stays cacheable.

The app keeps each public answer in the cache (Redis, or in process) under the hash, the operation
name and the canonical variables (sorted keys), together with the versions of its tags
(`campaign:<id>`, `catalog`: services/group_buy/cache.py) read *before* it ran. A hit is served
here, before strawberry: no parse, no validation, no resolver, no SQL, no rate-limit charge; it is
valid only while its tags' versions are unchanged, so joins, payments, leaves, stops and price
changes invalidate it with one write each. Concurrent misses of one key in a process wait for the
first (single flight), so a crowd arriving at an expired page computes it once per process.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.ids import decode_id
from gql.settings import Settings
from models.errors import DomainError
from services.cache import Cache
from services.group_buy.cache import CATALOG_TAG, campaign_tag, public_tag_version

log = logging.getLogger("mallgraph.public_pages")

PUBLIC_ROOT_FIELDS: Final[Mapping[str, str | None]] = {
    "groupBuyPage": "campaignId",
    "campaign": "id",
    "products": None,
    "product": None,
    "categories": None,
}
"""Root fields whose answer is the same for every anonymous caller → the argument naming the campaign
it shows (its tag), or None. Every public answer also carries the `catalog` tag."""
PERSONAL_FIELDS: Final = frozenset({"viewer"})
STATE_KEY: Final = "public_page"
KEY_PREFIX: Final = "mg:pp:"
PRIVATE: Final = (b"cache-control", b"private, no-store")


@dataclass(slots=True)
class Pending:
    """A candidate request on its way through the gate; the gate fills `tags` and `versions` when
    the document is public, and `ok` once it ran without errors."""

    key: str
    tags: tuple[str, ...] | None = None
    versions: tuple[bytes, ...] = ()
    ok: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    etag: str
    body: bytes
    tags: tuple[str, ...]
    versions: tuple[bytes, ...]

    def encode(self) -> bytes:
        head = {"etag": self.etag, "tags": self.tags, "versions": [v.decode() for v in self.versions]}
        return orjson.dumps(head) + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        head, _, body = raw.partition(b"\n")
        fields = orjson.loads(head)
        versions = tuple(v.encode() for v in fields["versions"])
        return cls(fields["etag"], body, tuple(fields["tags"]), versions)


def pending_of(scope: Scope) -> Pending | None:
    found = scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, Pending) else None


def public_tags(
    document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> tuple[str, ...] | None:
    """The tags of a public operation (see the module's rule); None when it is not public.

    O(n) in the document: each fragment is walked once.
    """
    if operation.operation is not OperationType.QUERY:
        return None
    tags = {CATALOG_TAG}
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None
        name = selection.name.value
        if name == "__typename":
            continue
        if name not in PUBLIC_ROOT_FIELDS:
            return None
        argument = PUBLIC_ROOT_FIELDS[name]
        if argument is not None:
            campaign = _campaign_argument(selection, argument, variables or {})
            if campaign is None:
                return None
            tags.add(campaign_tag(campaign))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if _selects_personal(operation.selection_set, fragments, set()):
        return None
    return tuple(sorted(tags))


def _campaign_argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        raw: Any = None
        if isinstance(value, StringValueNode):
            raw = value.value
        elif isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
        if not isinstance(raw, str):
            return None
        try:
            return decode_id(raw, "Campaign", name)
        except DomainError:
            return None
    return None


def _selects_personal(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in PERSONAL_FIELDS:
                return True
            inner: SelectionSetNode | None = selection.selection_set
        elif isinstance(selection, InlineFragmentNode):
            inner = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue
            seen.add(name)
            inner = fragments[name].selection_set
        else:
            continue
        if _selects_personal(inner, fragments, seen):
            return True
    return False


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def request_key(scope: Scope) -> str | None:
    """The cache key of a candidate request (see the module's rule), None for any other request.

    A crowd sends the same few query strings again and again, so the key is remembered per query
    string (at most `_MAX_KEYS` of at most `_MAX_REMEMBERED` bytes)."""
    if scope.get("method") != "GET" or _header(scope, b"authorization") is not None:
        return None
    query_string: bytes = scope.get("query_string", b"")
    if len(query_string) > _MAX_REMEMBERED:
        return _key_of(query_string)
    known = _KEYS.get(query_string, _UNKNOWN)
    if known is _UNKNOWN:
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        known = _KEYS[query_string] = _key_of(query_string)
    return known if isinstance(known, str) else None


_KEYS: dict[bytes, str | None] = {}
_MAX_KEYS: Final = 10_000
_MAX_REMEMBERED: Final = 2_048
_UNKNOWN: Final = object()


def _key_of(query_string: bytes) -> str | None:
    params = parse_qs(query_string.decode("latin-1"))
    if "query" in params or len(params.get("extensions", ())) != 1:
        return None
    try:
        extensions = orjson.loads(params["extensions"][0])
        digest = extensions["persistedQuery"]["sha256Hash"]
        variables = orjson.loads(params["variables"][0]) if "variables" in params else None
    except (orjson.JSONDecodeError, KeyError, TypeError, IndexError):
        return None
    if not isinstance(digest, str) or len(digest) != 64:
        return None
    operation = params.get("operationName", [""])[0]
    canonical = orjson.dumps([operation, variables], option=orjson.OPT_SORT_KEYS)
    return f"{KEY_PREFIX}{digest.lower()}:{hashlib.sha256(canonical).hexdigest()[:32]}"


def _matches(if_none_match: bytes | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.decode("latin-1").split(",")}
    return "*" in wanted or etag in wanted


class PublicPages:
    """The whole-response cache and the caching headers of `GET /graphql` (one per process)."""

    def __init__(self, cache: Cache, settings: Settings) -> None:
        self.cache = cache
        self.ttl = settings.public_cache_seconds
        self.control = (
            f"public, max-age={settings.public_cache_seconds:g}, s-maxage={settings.public_cache_seconds:g}, "
            f"stale-while-revalidate={settings.public_cache_stale_seconds:g}"
        ).encode()
        self._flights: dict[str, asyncio.Future[Entry | None]] = {}
        self.hits = 0
        self.misses = 0

    async def note_public(self, pending: Pending, tags: tuple[str, ...]) -> None:
        """The gate found the document public: remember its tags' versions before it runs, so an
        invalidation committed while it runs leaves the stored answer already stale."""
        pending.tags = tags
        pending.versions = await self._versions(tags)

    async def _versions(self, tags: tuple[str, ...]) -> tuple[bytes, ...]:
        """The tags' current versions, read at once (one round trip's wait, not one per tag)."""
        return tuple(await asyncio.gather(*(public_tag_version(self.cache, tag) for tag in tags)))

    async def handle(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        """Serve a GET: from the cache when it holds a valid answer, else through `app`."""
        key = request_key(scope) if self.ttl > 0 else None
        if key is None:
            await app(scope, receive, _with_private(send))
            return
        if_none_match = _header(scope, b"if-none-match")
        entry = await self._lookup(key)
        if entry is None and (flight := self._flights.get(key)) is not None:
            entry = await asyncio.shield(flight)
        if entry is not None:
            self.hits += 1
            await self._answer(send, entry, if_none_match, [])
            return
        self.misses += 1
        flight = self._flights[key] = asyncio.get_running_loop().create_future()
        stored: Entry | None = None
        try:
            pending = scope.setdefault("state", {})[STATE_KEY] = Pending(key)
            stored = await self._compute(scope, receive, send, app, pending, if_none_match)
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
            flight.set_result(stored)

    async def _lookup(self, key: str) -> Entry | None:
        raw = await self.cache.get(key)
        if raw is None:
            return None
        try:
            entry = Entry.decode(raw)
        except (orjson.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
            return None
        return entry if await self._versions(entry.tags) == entry.versions else None

    async def _compute(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        app: ASGIApp,
        pending: Pending,
        if_none_match: bytes | None,
    ) -> Entry | None:
        start: Message | None = None
        chunks: list[bytes] = []
        stored: list[Entry] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if start["status"] != 200 or pending.tags is None or not pending.ok:
                await send({**start, "headers": _replaced(start["headers"], [PRIVATE])})
                await send({"type": "http.response.body", "body": body})
                return
            entry = Entry(_etag(body), body, pending.tags, pending.versions)
            await self.cache.set(pending.key, entry.encode(), self.ttl)
            stored.append(entry)
            await self._answer(send, entry, if_none_match, start["headers"])

        await app(scope, receive, capture)
        return stored[0] if stored else None

    async def _answer(
        self, send: Send, entry: Entry, if_none_match: bytes | None, headers: Iterable[tuple[bytes, bytes]]
    ) -> None:
        own = [
            (b"cache-control", self.control),
            (b"etag", entry.etag.encode()),
            (b"vary", b"Authorization"),
        ]
        if _matches(if_none_match, entry.etag):
            kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length")]
            await send({"type": "http.response.start", "status": 304, "headers": _replaced(kept, own)})
            await send({"type": "http.response.body", "body": b""})
            return
        base = list(headers) or [(b"content-type", b"application/json")]
        own.append((b"content-length", str(len(entry.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": _replaced(base, own)})
        await send({"type": "http.response.body", "body": entry.body})


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _replaced(
    headers: Iterable[tuple[bytes, bytes]], own: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    names = {k for k, _ in own}
    return [(k, v) for k, v in headers if k.lower() not in names] + own


def _with_private(send: Send) -> Send:
    """`Cache-Control: private, no-store` unless the answer says otherwise (GraphiQL's assets do)."""

    async def private(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(k.lower() == b"cache-control" for k, _ in headers):
                message = {**message, "headers": [*headers, PRIVATE]}
        await send(message)

    return private
