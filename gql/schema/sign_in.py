"""GraphQL inputs and payloads of shopper sign-in: `signIn`, `refreshSession`, `signOut`, `bindPhone`.

Tokens appear only in these answers: the access token is a short-lived JWT for `Authorization:
Bearer`, the refresh token an opaque string the server keeps only as a hash (docs/sign_in.md).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.schema import visits as _source_channel_registered  # noqa: F401
from gql.schema.common import UserError
from gql.schema.customers import Customer
from models.enums import SourceChannel
from models.identity import IdentityProvider

strawberry.enum(IdentityProvider, description="Who vouches for the shopper: WECHAT_MINIPROGRAM (wx.login).")


@strawberry.input(description="A login code from the mini-program, and what is known about the visit.")
class SignInInput:
    provider: IdentityProvider
    code: str = strawberry.field(description="The one-time code of `wx.login` (1-128 characters).")
    device_id: str | None = strawberry.field(
        default=None, description="A stable id of the device, for rate limiting and the session list."
    )
    invite_code: str | None = strawberry.field(
        default=None,
        description="The invite code the visit came with (邀请有礼); used on the first sign-in only.",
    )
    source: SourceChannel | None = strawberry.field(
        default=None, description="The channel of the visit; recorded when the sign-in creates the customer."
    )


@strawberry.type(description="A signed-in session: send the access token, refresh before it expires.")
class ShopperSession:
    access_token: str = strawberry.field(description="JWT for `Authorization: Bearer` (role SHOPPER).")
    access_token_expires_at: datetime
    refresh_token: str = strawberry.field(
        description="Exchange it once with `refreshSession`; keep it secret (it is shown only here)."
    )
    refresh_token_expires_at: datetime


@strawberry.type
class SignInPayload:
    session: ShopperSession | None
    customer: Customer | None = strawberry.field(
        description="The customer signed in, as the caller of signIn may see it (phone masked)."
    )
    is_new_customer: bool = strawberry.field(description="True when this sign-in created the customer.")
    invite_accepted: bool = strawberry.field(
        description="True when the invite code was accepted (a new customer and a running campaign)."
    )
    user_errors: list[UserError]


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.type
class RefreshSessionPayload:
    session: ShopperSession | None = strawberry.field(
        description="A new pair; the old refresh token is spent."
    )
    user_errors: list[UserError]


@strawberry.input
class SignOutInput:
    refresh_token: str = strawberry.field(description="Any refresh token of the session to end.")


@strawberry.type
class SignOutPayload:
    signed_out: bool
    user_errors: list[UserError]


@strawberry.input(description="The code of the mini-program's phone-number button (getPhoneNumber).")
class BindPhoneInput:
    code: str


@strawberry.type
class BindPhonePayload:
    customer: Customer | None
    user_errors: list[UserError]
