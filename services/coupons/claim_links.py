"""扫码领券: a store's signed claim link for a template, printed as a QR code at the till.

The link names the template and the store and carries an HMAC of both (key derived from the
app's secret with its own label), so a shopper cannot make a link for a coupon or a store the
back office did not. It does not expire: stopping the template (or its window ending) ends it.
Claiming by link is the ordinary claim (stock, per-customer limit, ledger) noting the store.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models.coupons.rows import CouponTemplate
from models.errors import DomainError, ErrorCode
from models.principals import Principal
from models.stores.rows import Store
from services.commands import Result, Work
from services.coupons.claiming import CLAIMABLE, check_claim_path, check_not_sold, claim
from services.signing import derive_key, mac


def link_key(secret: str) -> bytes:
    return derive_key(secret, b"mallgraph coupon claim links v1")


def sign(key: bytes, template_id: int, store_id: int) -> str:
    return mac(key, f"{template_id}:{store_id}".encode()).hex()[:32]


def verify(key: bytes, template_id: int, store_id: int, signature: str) -> bool:
    return hmac.compare_digest(sign(key, template_id, store_id), signature.strip().lower())


@dataclass(frozen=True, slots=True)
class ClaimLink:
    template_id: int
    store_id: int
    signature: str


async def _check_pair(session: AsyncSession, template_id: int, store_id: int) -> Store:
    template = await session.get(CouponTemplate, template_id)
    if template is None:
        raise DomainError(ErrorCode.NOT_FOUND, "coupon template not found", "templateId")
    store = await session.get(Store, store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    if template.type not in CLAIMABLE:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this coupon cannot be claimed", "templateId")
    check_not_sold(template)
    check_claim_path(template, by_link=True)
    if template.store_ids is not None and store_id not in template.store_ids:
        raise DomainError(ErrorCode.COUPON_NOT_APPLICABLE, "the coupon is not valid at this store", "storeId")
    return store


async def make_link(
    session: AsyncSession, principal: Principal, key: bytes, template_id: int, store_id: int
) -> ClaimLink:
    """The claim link of (template, store): HQ for any store, staff for their own stores."""
    if not principal.sees_all_stores() and store_id not in principal.store_ids:
        raise DomainError(ErrorCode.FORBIDDEN, "only your own stores", "storeId")
    await _check_pair(session, template_id, store_id)
    return ClaimLink(template_id, store_id, sign(key, template_id, store_id))


async def claim_by_link(work: Work, customer_id: int, key: bytes, link: ClaimLink) -> Result:
    """A shopper scanned the QR: verify the link, then claim as 领券 does (note: the store)."""
    if not verify(key, link.template_id, link.store_id, link.signature):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "this claim link is not valid", "signature")
    store = await _check_pair(work.session, link.template_id, link.store_id)
    return await claim(work, customer_id, link.template_id, note=f"扫码领券 {store.code}", by_link=True)
