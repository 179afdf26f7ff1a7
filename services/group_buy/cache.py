"""Cache keys of the public group-buy page and their invalidation (after commit, never before).

A page is cached per (campaign, team, campaign version). Joining or leaving a team drops that team's
page and the campaign's own page (which lists the forming teams); stopping the campaign or changing
its prices bumps the campaign version, which orphans every page of it at once. Pages also expire on
their own after `RulesConfig.group_buy_page_ttl` seconds (GROUP_BUY_PAGE_CACHE_SECONDS), so a lost
invalidation (cache briefly down) heals itself.

The same events also bump the version of the campaign's *public answers* (`public_tag_version`,
tag `campaign:<id>`), and catalogue edits bump tag `catalog`: the whole-response cache of public
pages (gql/http/public_pages.py) keeps, with each answer, the versions of its tags when it was computed
and serves it only while they are unchanged. One write invalidates every cached answer of a tag.
"""

from __future__ import annotations

import uuid

from services.cache import Cache
from services.commands import Work

VERSION_TTL = 30 * 24 * 3600.0


def _version_key(campaign_id: int) -> str:
    return f"mg:gb:v:{campaign_id}"


def page_key(campaign_id: int, team_id: int | None, version: str) -> str:
    return f"mg:gb:page:{campaign_id}:{team_id or 0}:{version}"


async def campaign_version(cache: Cache, campaign_id: int) -> str:
    raw = await cache.get(_version_key(campaign_id))
    return raw.decode() if raw else "0"


async def drop_team_page(cache: Cache, campaign_id: int, team_id: int | None) -> None:
    version = await campaign_version(cache, campaign_id)
    keys = {page_key(campaign_id, None, version)}
    if team_id is not None:
        keys.add(page_key(campaign_id, team_id, version))
    await cache.delete(*keys)


async def bump_campaign(cache: Cache, campaign_id: int) -> None:
    await cache.set(_version_key(campaign_id), uuid.uuid4().hex.encode(), VERSION_TTL)


def public_tag_key(tag: str) -> str:
    return f"mg:pp:v:{tag}"


async def public_tag_version(cache: Cache, tag: str) -> bytes:
    """The tag's current version (b"0" until its first change)."""
    return await cache.get(public_tag_key(tag)) or b"0"


async def bump_public_tag(cache: Cache, tag: str) -> None:
    await cache.set(public_tag_key(tag), uuid.uuid4().hex.encode(), VERSION_TTL)


def campaign_tag(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


CATALOG_TAG = "catalog"
"""Product, SKU and category edits: every public answer showing products or prices carries it."""


def invalidate_catalog_pages(work: Work) -> None:
    cache = work.deps.cache

    async def bump() -> None:
        await bump_public_tag(cache, CATALOG_TAG)

    work.after_commit(bump)


def invalidate_team_page(work: Work, campaign_id: int, team_id: int | None) -> None:
    cache = work.deps.cache

    async def drop() -> None:
        await drop_team_page(cache, campaign_id, team_id)
        await bump_public_tag(cache, campaign_tag(campaign_id))

    work.after_commit(drop)


def invalidate_campaign_pages(work: Work, campaign_id: int) -> None:
    cache = work.deps.cache

    async def bump() -> None:
        await bump_campaign(cache, campaign_id)
        await bump_public_tag(cache, campaign_tag(campaign_id))

    work.after_commit(bump)
