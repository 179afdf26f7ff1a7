"""Coupons (优惠券): templates (`templates`), claiming (`claiming`, `claim_links` for 扫码领券), sale
(`sales`, 卖券), push jobs (`pushes`, `push_targets`, 发券), use in orders (`redemption`), 返券 rules
(`rules` in the back office, `issuing` once per cause by the sweep) and 助力 (`assists`).

The pure rules live in `models.coupons.rules` and `models.coupons.issue_rules`; the price a coupon
takes off is decided by `models.pricing.cart.price_cart`. Every change of an issued coupon writes a
ledger row (`ledger`).
"""
