"""Shopper sign-in: the identity port and its providers, sign-in itself, and refresh-token sessions.

`port` is what the rest of the code sees; `fake` (dev and tests) and `wechat` (WeChat code2session)
implement it; `sign_in` finds or creates the customer; `sessions` rotates and revokes refresh tokens.
"""
