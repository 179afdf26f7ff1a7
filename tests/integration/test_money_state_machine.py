"""A hypothesis state machine: random mixes of order transitions, refunds, exchanges (换货) and
escalations to HQ (客服介入), invariants after every step (tests/integration/money_world.py).

It drives the services (the same use cases the API runs) on a fresh SQLite database (each example
a copy of one migrated and seeded once) and checks, from the database, that refunds never exceed
what was paid (per line and per order), that statuses agree with quantities, that money in = money
out + money kept, that the gateway returned exactly the confirmed refunds, that exchanges never move
money, that every pending escalation is the one of an ESCALATED after-sale, and that order lines
carry their order's moments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, rule

from models.after_sales.escalation_rules import EscalationVerdict
from models.after_sales.states import AfterSaleType
from models.deliveries.stages import DeliveryStage
from models.enums import Fulfillment, PaymentMethod
from models.orders.states import OrderStatus
from models.principals import Principal
from services import shipping
from services.after_sales import escalations, exchanges
from services.after_sales import lifecycle as after_sales
from services.checkout import placing as checkout
from services.commands import Result, Work
from services.deliveries import lifecycle as deliveries
from services.orders import lifecycle as order_service
from services.orders import payments as order_payments
from tests.integration.money_world import MoneyWorld

T_CALLBACK = datetime(2026, 12, 6, 10, tzinfo=UTC)

OPEN_BEFORE_SHIPPING = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.PENDING_ACCEPTANCE, OrderStatus.PENDING_SHIPMENT}
)


class MoneyMachine(MoneyWorld):
    orders = Bundle("orders")
    # --- rules -----------------------------------------------------------------------------

    @rule(
        target=orders,
        q1=st.integers(1, 4),
        q2=st.integers(0, 3),
        pay=st.sampled_from([True] * 4 + [False]),
        pickup=st.booleans(),
        depth=st.integers(0, 4),
    )
    def place(self, q1: int, q2: int, pay: bool, pickup: bool, depth: int) -> int:
        lines = [checkout.CartLine(self.skus[0].id, q1)] + (
            [checkout.CartLine(self.skus[1].id, q2)] if q2 else []
        )
        cmd = checkout.PlaceOrder(
            store_id=self.store.id,
            fulfillment=Fulfillment.SELF_PICKUP if pickup else Fulfillment.STORE_DELIVERY,
            lines=tuple(lines),
            consignee=checkout.ConsigneeInput("买家", "13500001111", city="上海市", address="测试路1号"),
        )
        placed = self.act(self.buyer, lambda w: checkout.place_order(w, cmd))
        assert placed is not None
        order_id = int(placed["orderId"])
        if pay:
            self.act(
                self.buyer, lambda w: order_payments.start_payment(w, order_id, PaymentMethod.WECHAT_PAY)
            )
        for _ in range(depth):  # start some orders further along, so refunds meet every state
            self.advance(order_id)
        return order_id

    @rule(order=orders)
    def accept(self, order: int) -> None:
        self.act(self.staff, lambda w: order_service.accept(w, order))

    @rule(order=orders)
    def advance(self, order: int) -> None:
        """The happy path's next step, so that orders reach the states where refunds happen."""
        status = self._order(order).status
        if status is OrderStatus.PENDING_PAYMENT:
            self.act(self.buyer, lambda w: order_payments.start_payment(w, order, PaymentMethod.ALIPAY))
        elif status is OrderStatus.PENDING_ACCEPTANCE:
            self.accept(order)
        elif status is OrderStatus.PENDING_SHIPMENT and self._order(order).delivery_stage is not None:
            self.delivery_step(order, order % 3)
        elif status is OrderStatus.PENDING_SHIPMENT:
            self.ship_some(order, 4)
        elif self._order(order).delivery_stage is DeliveryStage.DELIVERING:
            self.delivery_step(order, 0)
        elif status in (OrderStatus.SHIPPED, OrderStatus.PENDING_PICKUP):
            self.finish(order)

    @rule(order=orders, choice=st.integers(0, 3))
    def delivery_step(self, order: int, choice: int) -> None:
        """The store-delivery step the order's stage takes: 自配 or a platform rider (who may give up)."""
        stage = self._order(order).delivery_stage
        if stage is DeliveryStage.PICKING:
            self.act(self.staff, lambda w: deliveries.finish_picking(w, order))
        elif stage is DeliveryStage.PICKED and choice % 2 == 0:
            self.act(self.staff, lambda w: deliveries.assign_own_rider(w, order, "王师傅", "13700001111"))
        elif stage is DeliveryStage.PICKED:
            asked = self.act(self.staff, lambda w: deliveries.request_platform_rider(w, order))
            if asked is not None:
                kind = deliveries.CallbackKind.CANCELLED if choice == 3 else deliveries.CallbackKind.ASSIGNED
                self._callback(str(asked["dispatchId"]), kind)
        elif stage is DeliveryStage.RIDER_ASSIGNED:
            self.act(self.staff, lambda w: deliveries.mark_delivering(w, order))
        elif stage is DeliveryStage.DELIVERING:
            self.act(self.staff, lambda w: deliveries.mark_delivered(w, order))
        else:
            self.ship_some(order, 4)  # seed 000's parcels stay valid for store delivery

    def _callback(self, dispatch_id: str, kind: deliveries.CallbackKind) -> None:
        cb = deliveries.CourierCallback(
            "fake", dispatch_id, kind, T_CALLBACK, rider_name="赵骑手", rider_phone="13500002222"
        )
        self.act(self.system, lambda w: deliveries.apply_callback(w, cb))

    @rule(order=orders)
    def reject_then_reallocate(self, order: int) -> None:
        self.act(self.staff, lambda w: order_service.reject(w, order, "缺货"))
        target = self.other.id if self._order(order).store_id == self.store.id else self.store.id
        self.act(self.hq, lambda w: order_service.reallocate(w, order, target, "改派"))

    @rule(order=orders, share=st.integers(1, 4))
    def ship_some(self, order: int, share: int) -> None:
        lines = self._lines(order)
        parcel = tuple(
            (line.id, min(share, left))
            for line in lines
            if (left := line.quantity - line.refunded_quantity - line.shipped_quantity) > 0
        )
        if parcel:
            item = shipping.ParcelInput("顺丰速运", f"SF{order}{share}", parcel)
            self.act(self.staff, lambda w: shipping.ship(w, order, (item,)))

    @rule(order=orders)
    def finish(self, order: int) -> None:
        current = self._order(order)
        if current.status is OrderStatus.PENDING_PICKUP:
            code = current.pickup_code or ""
            self.act(self.staff, lambda w: order_service.verify_pickup(w, order, code))
        else:
            self.act(self.buyer, lambda w: order_service.confirm_receipt(w, order))

    @rule(order=orders, by_buyer=st.booleans())
    def cancel(self, order: int, by_buyer: bool) -> None:
        self.act(self.buyer if by_buyer else self.hq, lambda w: order_service.cancel(w, order, "不要了"))

    @rule(order=orders, line_index=st.integers(0, 1), units=st.integers(1, 3), lower=st.integers(0, 50))
    def merchant_refund(self, order: int, line_index: int, units: int, lower: int) -> None:
        lines = self._lines(order)
        line = lines[line_index % len(lines)]
        amount = None if lower == 0 else max(0, line.paid_amount * units // line.quantity - lower)
        ask = after_sales.LineAsk(line.id, units, amount)
        who = self.hq if line_index % 2 else self.staff
        self.act(who, lambda w: after_sales.refund_lines(w, order, [ask], "主动退款"))

    @rule(order=orders, units=st.integers(1, 3), ret=st.booleans(), approve=st.booleans())
    def buyer_after_sale(self, order: int, units: int, ret: bool, approve: bool) -> None:
        line = self._lines(order)[0]
        kind = AfterSaleType.RETURN_AND_REFUND if ret else AfterSaleType.REFUND_ONLY
        asked = self.act(
            self.buyer,
            lambda w: after_sales.request(w, order, kind, [after_sales.LineAsk(line.id, units)], "不满意"),
        )
        if asked is None:
            return
        sale = int(asked["afterSaleId"])
        if not approve:
            self.act(self.staff, lambda w: after_sales.reject(w, sale, "不同意"))
            return
        self.act(self.staff, lambda w: after_sales.approve(w, sale))
        if ret:
            self.act(self.buyer, lambda w: after_sales.submit_return(w, sale, "中通快递", "ZT1"))
            self.act(self.staff, lambda w: after_sales.confirm_return_received(w, sale))

    @rule(order=orders, units=st.integers(1, 3), steps=st.integers(1, 6), by_sweeper=st.booleans())
    def buyer_exchange(self, order: int, units: int, steps: int, by_sweeper: bool) -> None:
        """换货 walked `steps` steps along its happy path (a refusal anywhere stops the walk)."""
        line = self._lines(order)[-1]
        asked = self.act(
            self.buyer,
            lambda w: exchanges.request_exchange(w, order, [after_sales.LineAsk(line.id, units)], "尺码不对"),
        )
        if asked is None:
            return
        sale = int(asked["afterSaleId"])
        walk: list[tuple[Principal, Callable[[Work], Awaitable[Result]]]] = [
            (self.staff, lambda w: after_sales.approve(w, sale)),
            (self.buyer, lambda w: after_sales.submit_return(w, sale, "中通快递", "ZT2")),
            (self.staff, lambda w: after_sales.confirm_return_received(w, sale)),
            (self.staff, lambda w: exchanges.ship_replacement(w, sale, "门店配送", "EX9")),
        ]
        for who, step in walk[:steps]:
            if self.act(who, step) is None:
                return
        if steps < 5:
            return
        if by_sweeper:
            later = datetime.now(UTC) + timedelta(days=8)
            self.run(exchanges.auto_confirm_replacements(self.deps, later))
        else:
            self.act(self.buyer, lambda w: exchanges.confirm_replacement(w, sale))

    @rule(
        order=orders,
        ret=st.booleans(),
        store_escalates=st.booleans(),
        support_buyer=st.booleans(),
        withdraw=st.booleans(),
    )
    def escalation(
        self, order: int, ret: bool, store_escalates: bool, support_buyer: bool, withdraw: bool
    ) -> None:
        """客服介入: a request rejected (the buyer escalates) or handed over by the store, then a verdict."""
        sale = self._rejectable(order, self._lines(order)[0].id, ret)
        if sale is None:
            return
        if not store_escalates:
            self.act(self.staff, lambda w: after_sales.reject(w, sale, "不同意"))
        self._escalate_and_decide(
            sale, self.staff if store_escalates else self.buyer, support_buyer, withdraw
        )

    @rule(order=orders, ret=st.booleans(), store_escalates=st.booleans(), support_buyer=st.booleans())
    def refused_return_escalation(
        self, order: int, ret: bool, store_escalates: bool, support_buyer: bool
    ) -> None:
        """客服介入 on a return (an exchange when not `ret`) whose goods the store refused: either side
        escalates; supporting the buyer counts the goods as received."""
        sale = self._refused_return(order, self._lines(order)[0].id, ret)
        if sale is not None:
            self._escalate_and_decide(
                sale, self.staff if store_escalates else self.buyer, support_buyer, False
            )

    def _escalate_and_decide(self, sale: int, who: Principal, support_buyer: bool, withdraw: bool) -> None:
        raised = self.act(who, lambda w: escalations.escalate(w, sale, "请客服裁定", "聊天记录"))
        if raised is None:
            return
        if withdraw:
            self.act(self.buyer, lambda w: after_sales.withdraw(w, sale))
        verdict = EscalationVerdict.SUPPORT_BUYER if support_buyer else EscalationVerdict.SUPPORT_STORE
        escalation_id = int(raised["escalationId"])
        self.act(self.staff, lambda w: escalations.decide(w, escalation_id, verdict, "门店无权裁定"))
        self.act(self.hq, lambda w: escalations.decide(w, escalation_id, verdict, "核实后裁定"))

    def _rejectable(self, order: int, line_id: int, ret: bool) -> int | None:
        kind = AfterSaleType.RETURN_AND_REFUND if ret else AfterSaleType.REFUND_ONLY
        asks = [after_sales.LineAsk(line_id, 1)]
        asked = self.act(self.buyer, lambda w: after_sales.request(w, order, kind, asks, "不满意"))
        return None if asked is None else int(asked["afterSaleId"])

    def _refused_return(self, order: int, line_id: int, ret: bool) -> int | None:
        """A return (or an exchange) whose goods came back and the store refused (拒绝收货); the order
        is moved along first, since only goods that left the store come back."""
        for _ in range(6):
            if self._order(order).status not in OPEN_BEFORE_SHIPPING:
                break
            self.advance(order)
        asks = [after_sales.LineAsk(line_id, 1)]
        asked = self.act(
            self.buyer,
            (lambda w: after_sales.request(w, order, AfterSaleType.RETURN_AND_REFUND, asks, "不满意"))
            if ret
            else (lambda w: exchanges.request_exchange(w, order, asks, "尺码不对")),
        )
        if asked is None:
            return None
        sale = int(asked["afterSaleId"])
        walk: list[tuple[Principal, Callable[[Work], Awaitable[Result]]]] = [
            (self.staff, lambda w: after_sales.approve(w, sale)),
            (self.buyer, lambda w: after_sales.submit_return(w, sale, "中通快递", "ZT3")),
            (self.staff, lambda w: after_sales.refuse_return_receipt(w, sale, "退回商品已损坏")),
        ]
        for who, step in walk:
            if self.act(who, step) is None:
                return None
        return sale

    @rule()
    def gateway_hiccup(self) -> None:
        self.gateway.fail_next = 1  # the next gateway call fails; its refund stays PENDING


MoneyMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestMoneyMachine = MoneyMachine.TestCase
