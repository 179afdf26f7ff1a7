"""Thin root resolvers, one module per domain: parse input, call one service, convert the result."""
