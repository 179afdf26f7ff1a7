"""Domain errors: one exception type carrying a stable code from a documented enum.

Services and pure rules raise `DomainError`; the GraphQL edge turns it into
`userErrors { code field message }` (mutations) or a coded GraphQL error (queries).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Stable, client-facing error codes. Adding one is an API change: document it."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INVALID_CURSOR = "INVALID_CURSOR"
    PAGE_SIZE_EXCEEDED = "PAGE_SIZE_EXCEEDED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # Orders and checkout
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_ON_SHELF = "NOT_ON_SHELF"
    PURCHASE_LIMIT_EXCEEDED = "PURCHASE_LIMIT_EXCEEDED"
    STORE_NOT_OPEN = "STORE_NOT_OPEN"
    STORE_CLOSED = "STORE_CLOSED"
    """Outside the store's business hours (营业时间); `nextOpeningAt` (UTC) says when it opens, null
    when it has no hours at all."""
    PRE_ORDERS_NOT_TAKEN = "PRE_ORDERS_NOT_TAKEN"
    """A booked time (预订单) was given to a store that does not take pre-orders."""
    BOOKING_TOO_SOON = "BOOKING_TOO_SOON"
    BOOKING_TOO_FAR = "BOOKING_TOO_FAR"
    BOOKING_OUTSIDE_HOURS = "BOOKING_OUTSIDE_HOURS"
    """The booked time is outside the store's business hours; `nextOpeningAt` as for STORE_CLOSED."""
    FULFILLMENT_NOT_OFFERED = "FULFILLMENT_NOT_OFFERED"
    MIN_ORDER_NOT_MET = "MIN_ORDER_NOT_MET"
    PICKUP_CODE_MISMATCH = "PICKUP_CODE_MISMATCH"
    SHIPMENT_EXCEEDS_QUANTITY = "SHIPMENT_EXCEEDS_QUANTITY"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    # Order search
    INVALID_QUERY_SYNTAX = "INVALID_QUERY_SYNTAX"
    # After-sales and refunds
    REFUND_WINDOW_CLOSED = "REFUND_WINDOW_CLOSED"
    REFUND_EXCEEDS_PAID = "REFUND_EXCEEDS_PAID"
    REFUND_EXCEEDS_QUANTITY = "REFUND_EXCEEDS_QUANTITY"
    LINE_HAS_OPEN_AFTER_SALE = "LINE_HAS_OPEN_AFTER_SALE"
    EXCHANGE_EXCEEDS_QUANTITY = "EXCHANGE_EXCEEDS_QUANTITY"
    """换货: more units asked than the line holds unrefunded."""
    REPLACEMENT_SKU_MISMATCH = "REPLACEMENT_SKU_MISMATCH"
    """换货: the replacement SKU is not of the same product at the same price."""
    ESCALATION_NOT_DUE = "ESCALATION_NOT_DUE"
    """客服介入: the store's review time has not run out yet."""
    ESCALATION_WINDOW_CLOSED = "ESCALATION_WINDOW_CLOSED"
    """客服介入: the rejection is too old to escalate."""
    # Back office: stores, staff, catalogue, store listings, reviews (issue 9)
    OUTSIDE_DELIVERY_RADIUS = "OUTSIDE_DELIVERY_RADIUS"
    DUPLICATE_NAME = "DUPLICATE_NAME"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    CATEGORY_NOT_EMPTY = "CATEGORY_NOT_EMPTY"
    INVALID_CATEGORY_LEVEL = "INVALID_CATEGORY_LEVEL"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_STOCK = "INVALID_STOCK"
    NOT_LISTABLE = "NOT_LISTABLE"
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
    ORDER_NOT_COMPLETED = "ORDER_NOT_COMPLETED"
    ALREADY_REVIEWED = "ALREADY_REVIEWED"
    # Campaigns (营销)
    CAMPAIGN_NOT_ONGOING = "CAMPAIGN_NOT_ONGOING"
    CAMPAIGN_NOT_EDITABLE = "CAMPAIGN_NOT_EDITABLE"
    CAMPAIGN_NOT_OPT_IN = "CAMPAIGN_NOT_OPT_IN"
    CAMPAIGN_ENDED = "CAMPAIGN_ENDED"
    STORE_NOT_IN_CAMPAIGN = "STORE_NOT_IN_CAMPAIGN"
    FLASH_SALE_SOLD_OUT = "FLASH_SALE_SOLD_OUT"
    GIFT_SOLD_OUT = "GIFT_SOLD_OUT"
    COUPON_EXPIRED = "COUPON_EXPIRED"
    COUPON_NOT_APPLICABLE = "COUPON_NOT_APPLICABLE"
    COUPON_BELOW_THRESHOLD = "COUPON_BELOW_THRESHOLD"
    COUPON_UNAVAILABLE = "COUPON_UNAVAILABLE"
    COUPON_OUT_OF_STOCK = "COUPON_OUT_OF_STOCK"
    COUPON_LIMIT_REACHED = "COUPON_LIMIT_REACHED"
    COUPON_NOT_EDITABLE = "COUPON_NOT_EDITABLE"
    ASSIST_OWN = "ASSIST_OWN"
    """助力: a shopper cannot help their own assist."""
    ASSIST_ALREADY_JOINED = "ASSIST_ALREADY_JOINED"
    ASSIST_EXPIRED = "ASSIST_EXPIRED"
    ASSIST_COMPLETED = "ASSIST_COMPLETED"
    """The assist already has all the helpers it needs."""
    TEAM_FULL = "TEAM_FULL"
    TEAM_CLOSED = "TEAM_CLOSED"
    ALREADY_IN_TEAM = "ALREADY_IN_TEAM"
    NOT_NEW_CUSTOMER = "NOT_NEW_CUSTOMER"
    INVITE_NOT_ACCEPTED = "INVITE_NOT_ACCEPTED"
    # Metrics and visit events (issue 7)
    QUERY_TIMEOUT = "QUERY_TIMEOUT"
    """A metrics query ran longer than the role's statement timeout; narrow the range or stores."""
    TOO_MANY_GROUPS = "TOO_MANY_GROUPS"
    """An aggregate query would return more groups than `top` allows (docs/analytics.md)."""
    # Request limits, persisted queries and rate limits (issue 8): rejected before any resolver runs
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
    """The query text is longer than MAX_QUERY_CHARS."""
    MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
    MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
    MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
    MAX_COST_EXCEEDED = "MAX_COST_EXCEEDED"
    """The query's computed cost is above the role's budget; ask for smaller pages or fewer fields."""
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    THROTTLED = "THROTTLED"
    """The caller's cost-point bucket is empty; retry after `extensions.retryAfterSeconds`."""
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    """Apollo APQ: the hash is unknown; send it again with the query text to register it."""
    INVALID_PERSISTED_QUERY_HASH = "INVALID_PERSISTED_QUERY_HASH"
    PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
    """Trusted documents are enforced and the document is not in the manifest."""
    BATCHING_NOT_SUPPORTED = "BATCHING_NOT_SUPPORTED"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    BAD_REQUEST = "BAD_REQUEST"
    """Not a GraphQL request over HTTP: a body that is not a JSON object, a POST without
    `Content-Type: application/json` (HTTP 400, or 415 for another media type), bad GET parameters."""
    # Shopper sign-in (issue 23): see docs/sign_in.md
    SIGN_IN_FAILED = "SIGN_IN_FAILED"
    """The identity provider refused the code (invalid, expired or already used): get a new one."""
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    """The identity provider is busy, rate limited or unreachable; retrying later may succeed."""
    SESSION_REVOKED = "SESSION_REVOKED"
    """The refresh token is unknown, expired, signed out or was used before: sign in again."""
    PHONE_ALREADY_BOUND = "PHONE_ALREADY_BOUND"
    """The phone number belongs to another customer."""
    # Deadlines (issue 21)
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    """The request ran past REQUEST_TIMEOUT_SECONDS (admission and execution together); its
    statements were cancelled. Retrying the same document will most likely time out again."""


class DomainError(Exception):
    """A rule said no. `field` names the offending input path, when there is one.

    `extensions` carries extra machine-readable detail (e.g. the `column` of a query syntax
    error); a query's GraphQL error includes it beside `code` and `field`.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.extensions: dict[str, Any] = dict(extensions or {})

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, field={self.field!r})"


def check_version(noun: str, version: int, expected: int | None) -> None:
    """Optimistic locking: VERSION_CONFLICT (on `expectedVersion`) when the caller gave the version
    it last saw and the record has moved on since."""
    if expected is not None and expected != version:
        raise DomainError(
            ErrorCode.VERSION_CONFLICT,
            f"{noun} is at version {version}, not {expected}: reload it",
            "expectedVersion",
        )
