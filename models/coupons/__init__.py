"""Coupons (优惠券): mapped classes (`rows`) and their pure rules."""
