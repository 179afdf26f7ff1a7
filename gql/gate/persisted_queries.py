"""Automatic persisted queries (Apollo's APQ protocol) and the trusted-documents manifest.

APQ, exactly as Apollo clients speak it:

* `extensions: {persistedQuery: {version: 1, sha256Hash}}` without `query` → the stored text, or
  the error `PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`, HTTP 200) so the client
  retries with the text;
* with both → the hash must be the SHA-256 of the text (else `provided sha does not match query`,
  `INVALID_PERSISTED_QUERY_HASH`); the text is stored once it has passed validation.

Over GET the `extensions` parameter is JSON in the query string; strawberry already parses it, and
still refuses mutations over GET. Texts live in the cache (Redis, or in process when embedded).

Trusted documents: a manifest, loaded at start, maps hashes to documents. Its documents are always
known by hash (no registration round trip), and with `TRUSTED_DOCUMENTS_ONLY` shoppers and
anonymous callers may run nothing else — the public attack surface is exactly the mini-program's
documents. Two formats are read: Apollo's persisted-query manifest
(`{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body", ...}]}`) and the flat
`{"<sha256>": "<document>"}` map that Relay's compiler and most tools emit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from graphql import GraphQLError

from gql.gate.documents import sha256_hex
from gql.gate.limits import coded
from models.errors import ErrorCode
from services.cache import Cache

KEY_PREFIX: Final = "mallgraph:apq:"
SHA256: Final = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """The manifest is unreadable or a hash does not match its document; the process must not start."""


def load_manifest(path: Path) -> dict[str, str]:
    """Hash → document text, every hash checked against its text."""
    try:
        raw: Any = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ManifestError(f"TRUSTED_DOCUMENTS_PATH: cannot read {path}: {exc}") from None
    entries: Mapping[Any, Any]
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        entries = {op.get("id"): op.get("body") for op in raw["operations"] if isinstance(op, dict)}
    elif isinstance(raw, dict):
        entries = raw
    else:
        raise ManifestError(f"TRUSTED_DOCUMENTS_PATH: {path} is neither an Apollo manifest nor a hash map")
    manifest: dict[str, str] = {}
    for digest, body in entries.items():
        if not isinstance(digest, str) or not isinstance(body, str):
            raise ManifestError(f"TRUSTED_DOCUMENTS_PATH: entry {digest!r} needs a string id and body")
        if sha256_hex(body) != digest.lower():
            raise ManifestError(f"TRUSTED_DOCUMENTS_PATH: {digest} is not the SHA-256 of its document")
        manifest[digest.lower()] = body
    return manifest


@dataclass(frozen=True, slots=True)
class ResolvedQuery:
    query: str
    sha256: str
    register: bool
    """True: a new APQ text to store once it has passed validation."""


def persisted_query_not_found() -> GraphQLError:
    return coded(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")


class PersistedQueries:
    def __init__(self, cache: Cache, ttl_seconds: int, manifest: Mapping[str, str] | None = None) -> None:
        self.cache = cache
        self.ttl_seconds = ttl_seconds
        self.manifest: Mapping[str, str] = manifest or {}

    async def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> ResolvedQuery | None:
        """The text to run (None: a plain request without a query, strawberry answers it).

        Raises a coded GraphQLError for the protocol's failures.
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return None if query is None else ResolvedQuery(query, sha256_hex(query), register=False)
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise coded(ErrorCode.BAD_USER_INPUT, "PersistedQueryNotSupported: only version 1 is supported")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not SHA256.match(digest.lower()):
            raise coded(ErrorCode.INVALID_PERSISTED_QUERY_HASH, "sha256Hash must be 64 hexadecimal digits")
        digest = digest.lower()
        if query is not None:
            if sha256_hex(query) != digest:
                raise coded(ErrorCode.INVALID_PERSISTED_QUERY_HASH, "provided sha does not match query")
            return ResolvedQuery(query, digest, register=digest not in self.manifest)
        known = self.manifest.get(digest)
        if known is None:
            stored = await self.cache.get(KEY_PREFIX + digest)
            known = stored.decode("utf-8") if stored is not None else None
        if known is None:
            raise persisted_query_not_found()
        return ResolvedQuery(known, digest, register=False)

    async def register(self, resolved: ResolvedQuery) -> None:
        if resolved.register:
            await self.cache.set(
                KEY_PREFIX + resolved.sha256, resolved.query.encode("utf-8"), self.ttl_seconds
            )

    def is_trusted(self, sha256: str) -> bool:
        return sha256 in self.manifest
