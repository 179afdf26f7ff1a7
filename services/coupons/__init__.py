"""Coupons (优惠券): templates (`templates`), claiming (`claiming`), use in orders (`redemption`).

The pure rules live in `models.coupon_rules`; the price a coupon takes off is decided by
`models.pricing.cart.price_cart`. Every change of an issued coupon writes a ledger row (`ledger`).
"""
