"""Promotion QR codes (推广二维码): PNG images of the share links, served by the app.

Campaigns and teams have one each; so does every shopper's invite code (邀请有礼, per inviter), and
every (coupon template, store) pair a store prints for 扫码领券.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql.ids import decode_id, encode_id
from gql.settings import Settings
from models.campaigns.rows import Campaign, GroupBuyTeam
from models.customers.rows import Customer
from models.errors import DomainError
from services.coupons import claim_links
from services.db import SessionFactory


def share_link(settings: Settings, campaign_id: int, team_id: int | None = None) -> str:
    base = f"{settings.share_base_url.rstrip('/')}/campaigns/{encode_id('Campaign', campaign_id)}"
    return f"{base}/teams/{encode_id('GroupBuyTeam', team_id)}" if team_id is not None else base


def invite_link(settings: Settings, invite_code: str) -> str:
    """The inviter's personal share link: the mini-program opens it and keeps the code for sign-in."""
    return f"{settings.share_base_url.rstrip('/')}/invites/{invite_code}"


def invite_qr_path(invite_code: str) -> str:
    return f"/invites/{invite_code}/qr.png"


def coupon_claim_query(template_id: int, store_id: int, signature: str) -> str:
    return urlencode(
        {
            "template": encode_id("CouponTemplate", template_id),
            "store": encode_id("Store", store_id),
            "sig": signature,
        }
    )


def coupon_claim_link(settings: Settings, template_id: int, store_id: int, signature: str) -> str:
    """扫码领券: the mini-program opens it and calls `claimCouponByLink` with its three parameters."""
    query = coupon_claim_query(template_id, store_id, signature)
    return f"{settings.share_base_url.rstrip('/')}/coupons/claim?{query}"


def qr_png(text: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


async def qr_endpoint(request: Request, settings: Settings, sessions: SessionFactory) -> Response:
    """/campaigns/{id}/qr.png and /campaigns/{id}/teams/{team}/qr.png: 404 for an unknown campaign or team."""
    campaign_id = int(request.path_params["campaign_id"])
    team_id = request.path_params.get("team_id")
    async with sessions() as session:
        exists = await session.scalar(select(Campaign.id).where(Campaign.id == campaign_id))
        if exists is not None and team_id is not None:
            exists = await session.scalar(
                select(GroupBuyTeam.id).where(
                    GroupBuyTeam.id == int(team_id), GroupBuyTeam.campaign_id == campaign_id
                )
            )
    if exists is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    png = qr_png(share_link(settings, campaign_id, int(team_id) if team_id is not None else None))
    return Response(png, media_type="image/png", headers={"cache-control": "public, max-age=3600"})


async def coupon_claim_qr_endpoint(request: Request, settings: Settings) -> Response:
    """/coupons/claim-qr.png?template=…&store=…&sig=…: the QR of a store's claim link; 404 unless
    the signature is right (only the back office's `couponClaimLink` makes one)."""
    params = request.query_params
    try:
        template_id = decode_id(params.get("template", ""), "CouponTemplate")
        store_id = decode_id(params.get("store", ""), "Store")
    except DomainError:
        return JSONResponse({"error": "not found"}, status_code=404)
    signature = params.get("sig", "")
    if not claim_links.verify(claim_links.link_key(settings.jwt_secret), template_id, store_id, signature):
        return JSONResponse({"error": "not found"}, status_code=404)
    png = qr_png(coupon_claim_link(settings, template_id, store_id, signature))
    return Response(png, media_type="image/png", headers={"cache-control": "public, max-age=86400"})


async def invite_qr_endpoint(request: Request, settings: Settings, sessions: SessionFactory) -> Response:
    """/invites/{code}/qr.png: the QR of `invite_link`; public and cacheable (the code is no secret,
    and a guess finds only what the code space gives), 404 for a code no customer holds."""
    code = str(request.path_params["code"]).upper()
    async with sessions() as session:
        exists = await session.scalar(select(Customer.id).where(Customer.invite_code == code))
    if exists is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    png = qr_png(invite_link(settings, code))
    return Response(png, media_type="image/png", headers={"cache-control": "public, max-age=86400"})
