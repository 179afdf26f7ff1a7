"""The cheat sheet `make run` prints before serving: where GraphiQL is, a token per role, handles.

`cheat_sheet(settings, sessions, url=...)` reads the handles from the database (so it never
names a store or an order that is not there) and mints development tokens valid for
`TOKEN_TTL_SECONDS`; `render` lays it out for a terminal. The handles are the generator's fixed
demo data (`bench/generator/demo.py`); a database seeded without them gets a hint instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bench.generator.demo import DEMO_CUSTOMER_ID, DEMO_ORDERS, DEMO_SKU_CODE, DEMO_STORE_CODE
from gql.gate.auth import mint_token
from gql.settings import Settings
from models.catalog.rows import Sku
from models.customers.rows import Customer
from models.enums import Role, StoreStatus
from models.orders.rows import Order
from models.stores.rows import Store
from services.db import SessionFactory

TOKEN_TTL_SECONDS = 7 * 24 * 3600
"""A week: a development session outlives a day; `make run` prints fresh tokens every start."""
STORE_CODES_SHOWN = 5


@dataclass(frozen=True, slots=True)
class RoleToken:
    label: str
    """How to mint it by hand: the `mallgraph token` arguments."""
    token: str


@dataclass(frozen=True, slots=True)
class CheatSheet:
    url: str
    tokens: list[RoleToken]
    stores: list[tuple[str, str, bool]]
    """(code, name, accepts automatically) of the first open stores."""
    shopper: tuple[int, str] | None
    """(customer id, nickname) of the demo shopper."""
    sku: tuple[str, str] | None
    """(SKU code, spec) of the demo SKU."""
    orders: list[tuple[str, str, str]]
    """(order number, status now, what to try) of the demo orders that exist."""

    @property
    def complete(self) -> bool:
        return self.shopper is not None and self.sku is not None and len(self.orders) == len(DEMO_ORDERS)


def dev_subject(role: Role, customer_id: int | None = None) -> str:
    """The subject of a development token: `customer:<id>` for a shopper, else `dev-<role>`."""
    return f"customer:{customer_id}" if role is Role.SHOPPER else f"dev-{role.value.lower()}"


async def cheat_sheet(settings: Settings, sessions: SessionFactory, *, url: str) -> CheatSheet:
    """The sheet for the database behind `sessions`; tokens are signed with `settings`."""
    async with sessions() as s:
        stores = (
            await s.execute(
                select(Store.id, Store.code, Store.name, Store.auto_accept)
                .where(Store.status == StoreStatus.OPEN)
                .order_by(Store.id)
            )
        ).all()
        shopper = (
            await s.execute(select(Customer.id, Customer.nickname).where(Customer.id == DEMO_CUSTOMER_ID))
        ).first()
        sku = (await s.execute(select(Sku.sku_code, Sku.spec).where(Sku.sku_code == DEMO_SKU_CODE))).first()
        numbers = [spec.order_no for spec in DEMO_ORDERS]
        found = dict(
            (await s.execute(select(Order.order_no, Order.status).where(Order.order_no.in_(numbers)))).all()
        )
    demo_store = next((row for row in stores if row.code == DEMO_STORE_CODE), None)

    def mint(role: Role, *, store_ids: list[int] | None = None, customer_id: int | None = None) -> str:
        subject = dev_subject(role, customer_id)
        return mint_token(
            settings,
            role,
            subject,
            store_ids=store_ids,
            customer_id=customer_id,
            ttl_seconds=TOKEN_TTL_SECONDS,
        )

    tokens = [
        RoleToken("--role HQ_ADMIN", mint(Role.HQ_ADMIN)),
        RoleToken("--role ANALYST", mint(Role.ANALYST)),
    ]
    if demo_store is not None:
        token = mint(Role.STORE_STAFF, store_ids=[demo_store.id])
        tokens.insert(1, RoleToken(f"--role STORE_STAFF --store {DEMO_STORE_CODE}", token))
    if shopper is not None:
        tokens.append(
            RoleToken(f"--role SHOPPER --customer {shopper.id}", mint(Role.SHOPPER, customer_id=shopper.id))
        )
    return CheatSheet(
        url=url,
        tokens=tokens,
        stores=[(r.code, r.name, bool(r.auto_accept)) for r in stores[:STORE_CODES_SHOWN]],
        shopper=(shopper.id, shopper.nickname) if shopper is not None else None,
        sku=(sku.sku_code, sku.spec) if sku is not None else None,
        orders=[
            (spec.order_no, found[spec.order_no], spec.purpose)
            for spec in DEMO_ORDERS
            if spec.order_no in found
        ],
    )


def render(sheet: CheatSheet) -> str:
    """Plain text for a terminal; tokens on lines of their own so they copy cleanly."""
    lines = [
        f"GraphiQL: {sheet.url}",
        "",
        'Tokens (headers pane: {"Authorization": "Bearer <token>"}; valid 7 days):',
    ]
    for item in sheet.tokens:
        lines += [f"  {item.label}", f"    {item.token}"]
    lines += [
        "",
        "Stores: "
        + ", ".join(f"{code} {name}{' (auto-accept)' if auto else ''}" for code, name, auto in sheet.stores),
    ]
    if sheet.shopper is not None:
        lines.append(f"Demo shopper: customer {sheet.shopper[0]} ({sheet.shopper[1]})")
    if sheet.sku is not None:
        lines.append(f"Demo SKU: {sheet.sku[0]} ({sheet.sku[1]}), in stock at {DEMO_STORE_CODE}")
    if sheet.orders:
        lines.append("Orders to try:")
        lines += [f"  {no}  {status:<18} {purpose}" for no, status, purpose in sheet.orders]
    if not sheet.complete:
        lines.append(
            "Some demo handles are missing (data seeded by an older version or with --orders < 50): "
            "`make clean run` seeds fresh demo data."
        )
    lines.append("Examples that use them: README.md (Try it, Handling orders).")
    return "\n".join(lines)
