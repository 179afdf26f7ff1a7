"""Sign-in (登录) and phone binding through the identity port.

* `sign_in`: the provider names the user (outside any transaction); then one transaction finds the
  customer by (provider, subject) or creates it — registered now, with the visit's source channel, and
  attributed to an inviter when an invite code came with the visit — and opens a refresh-token session.
  Concurrent first sign-ins of one user all try to insert the identity; the unique (provider, subject)
  lets one win and the others fail with IntegrityError, roll back (their customer row with them) and
  retry, finding the winner's customer. So one user is always exactly one customer.
* `bind_phone`: a separate step, after sign-in; the provider turns the phone code into a number.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.customers.rows import Customer
from models.enums import MemberLevel, Role, SourceChannel
from models.errors import DomainError, ErrorCode
from models.identity import DEFAULT_NICKNAME, CustomerIdentity, new_invite_code
from models.pii import phone_last4
from models.principals import Principal
from services.commands import Deps, Result, Work, run_command
from services.identity.port import CodeRefused, IdentityPort, ProviderIdentity, ProviderUnavailable
from services.identity.sessions import IssuedSession, SessionPolicy, open_session, session_actor
from services.invites import rewards as invites

log = logging.getLogger("mallgraph.sign_in")

MAX_ATTEMPTS: Final = 4
"""Tries of the find-or-create transaction; each lost race costs one, and then the row exists."""
MAX_CODE_CHARS: Final = 128
MAX_DEVICE_CHARS: Final = 128
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SignInRequest:
    code: str
    device_id: str | None = None
    invite_code: str | None = None
    source: SourceChannel | None = None


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: IssuedSession
    is_new_customer: bool
    invite_accepted: bool


def _checked_code(code: str, field: str) -> str:
    code = code.strip()
    if not code or len(code) > MAX_CODE_CHARS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"the code must be 1-{MAX_CODE_CHARS} characters", field)
    return code


async def _asked(call: str, attempt: Awaitable[T]) -> T:
    """The provider's answer, its failures turned into the stable codes."""
    try:
        return await attempt
    except CodeRefused as exc:
        raise DomainError(
            ErrorCode.SIGN_IN_FAILED, f"the provider refused the code ({exc})", "code"
        ) from None
    except ProviderUnavailable as exc:
        log.warning("identity provider unavailable during %s: %s", call, exc)
        raise DomainError(
            ErrorCode.PROVIDER_UNAVAILABLE, "the sign-in provider is unavailable; retry shortly"
        ) from None


async def sign_in(
    deps: Deps,
    principal: Principal,
    port: IdentityPort,
    request: SignInRequest,
    policy: SessionPolicy,
    now: datetime | None = None,
) -> SignedIn:
    """The customer behind the code (created on first sign-in) and a fresh session for them."""
    code = _checked_code(request.code, "code")
    if request.device_id is not None and len(request.device_id) > MAX_DEVICE_CHARS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_DEVICE_CHARS} characters", "deviceId")
    who = await _asked("signIn", port.identify(code))

    async def use_case(work: Work) -> Result:
        return await _find_or_create(work, who, request, policy)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            result = await run_command(deps, principal, "signIn", use_case, actor=session_actor(), now=now)
            break
        except IntegrityError:
            if attempt == MAX_ATTEMPTS:
                raise
            log.info("sign-in race for %s lost (attempt %d); retrying", who.provider.value, attempt)
    return SignedIn(
        IssuedSession(
            int(result["customerId"]),
            int(result["sessionId"]),
            str(result["refreshToken"]),
            datetime.fromisoformat(result["expiresAt"]),
        ),
        bool(result["isNew"]),
        bool(result["inviteAccepted"]),
    )


async def _find_or_create(
    work: Work, who: ProviderIdentity, request: SignInRequest, policy: SessionPolicy
) -> Result:
    identity = await work.session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.provider == who.provider, CustomerIdentity.subject == who.subject
        )
    )
    is_new = identity is None
    invite_accepted = False
    if identity is None:
        customer = Customer(
            nickname=DEFAULT_NICKNAME,
            member_level=MemberLevel.NORMAL,
            points=0,
            invite_code=new_invite_code(),
            registered_at=work.now,
        )
        work.session.add(customer)
        await work.session.flush()
        identity = CustomerIdentity(
            provider=who.provider,
            subject=who.subject,
            union_id=who.union_id,
            customer_id=customer.id,
            source=request.source,
            created_at=work.now,
            last_sign_in_at=work.now,
        )
        work.session.add(identity)
        await work.session.flush()  # a concurrent first sign-in fails here, before anything else
        if request.invite_code and request.invite_code.strip():
            invite_accepted = await _accept_invite(work, customer.id, request.invite_code)
    else:
        identity.last_sign_in_at = work.now
        if who.union_id and identity.union_id is None:
            identity.union_id = who.union_id
    issued = await open_session(work, identity.customer_id, identity.id, request.device_id, policy)
    return {
        "customerId": issued.customer_id,
        "sessionId": issued.session_id,
        "refreshToken": issued.refresh_token,
        "expiresAt": issued.refresh_expires_at.isoformat(),
        "isNew": is_new,
        "inviteAccepted": invite_accepted,
    }


async def _accept_invite(work: Work, customer_id: int, invite_code: str) -> bool:
    """The invite rules of `services.invites.rewards` as the new customer; a refused invite leaves the
    sign-in standing (savepoint), the visit simply counts as uninvited."""
    shopper = Principal(Role.SHOPPER, f"customer:{customer_id}", customer_id=customer_id)
    as_invitee = Work(work.session, work.deps, shopper, session_actor(customer_id), work.now, work.effects)
    try:
        async with work.session.begin_nested():
            await invites.accept_invite(as_invitee, invite_code)
    except DomainError as refused:
        log.info("invite code at sign-in not accepted: %s", refused.message)
        return False
    return True


async def bind_phone(
    deps: Deps, principal: Principal, port: IdentityPort, code: str, now: datetime | None = None
) -> int:
    """Set the signed-in shopper's phone to the provider's verified number; returns the customer id."""
    customer_id = principal.customer_id
    if principal.role is not Role.SHOPPER or customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a signed-in shopper binds a phone")
    phone = await _asked("bindPhone", port.phone_number(_checked_code(code, "code")))
    taken = DomainError(
        ErrorCode.PHONE_ALREADY_BOUND, "this phone number belongs to another customer", "code"
    )

    async def use_case(work: Work) -> Result:
        customer = await work.session.scalar(
            select(Customer).where(Customer.id == customer_id).with_for_update()
        )
        if customer is None:
            raise DomainError(ErrorCode.NOT_FOUND, "no such customer")
        if customer.phone != phone:
            other = await work.session.scalar(
                select(Customer.id).where(Customer.phone == phone, Customer.id != customer_id)
            )
            if other is not None:
                raise taken
            customer.phone = phone
            customer.phone_last4 = phone_last4(phone)
            await work.session.flush()
        return {"customerId": customer.id}

    try:
        result = await run_command(
            deps, principal, "bindPhone", use_case, actor=session_actor(customer_id), now=now
        )
    except IntegrityError:  # another customer bound the same number in the meantime
        raise taken from None
    return int(result["customerId"])
