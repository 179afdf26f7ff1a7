"""The request gate: auth, permissions, document shape and limits, cost, rate limit, persisted queries."""
