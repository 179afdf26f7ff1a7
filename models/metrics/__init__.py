"""Metrics: pure rules, rollup tables, day sets and visit events."""
