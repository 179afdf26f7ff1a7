"""GraphQL types of customers (顾客). Phone numbers are PII: masked for analysts."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gql.context import Info
from gql.schema import enums as _registered_enums  # noqa: F401
from models.customers import Customer as CustomerRow
from models.enums import MemberLevel, Role
from models.pii import mask_phone


def visible_phone(info: Info, phone: str | None) -> str | None:
    """Analysts see 138****1234; roles that reached the row through their own scope see it in full."""
    if phone is None:
        return None
    return mask_phone(phone) if info.context.principal.role is Role.ANALYST else phone


@strawberry.type(description="A mini-program customer.")
class Customer(relay.Node):
    id: relay.NodeID[int]
    nickname: str
    avatar_url: str | None
    member_level: MemberLevel
    points: int
    registered_at: datetime
    first_paid_at: datetime | None = strawberry.field(description="First payment; null means a new customer.")
    last_order_at: datetime | None
    _phone: strawberry.Private[str | None]

    @strawberry.field(description="Full for HQ and the customer's stores; masked (138****1234) for analysts.")
    def phone(self, info: Info) -> str | None:
        return visible_phone(info, self._phone)

    @strawberry.field(description="True until the customer's first paid order (新客).")
    def is_new(self) -> bool:
        return self.first_paid_at is None

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        return cls(
            id=row.id,
            nickname=row.nickname,
            avatar_url=row.avatar_url,
            member_level=row.member_level,
            points=row.points,
            registered_at=row.registered_at,
            first_paid_at=row.first_paid_at,
            last_order_at=row.last_order_at,
            _phone=row.phone,
        )
