"""Checkout (下单): pricing a cart (`quoting`) and placing the order (`placing`)."""
