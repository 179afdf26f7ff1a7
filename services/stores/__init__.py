"""Stores: reads, administration, per-store listings and their batch sync."""
