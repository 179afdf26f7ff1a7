"""Stores: mapped classes (`rows`), settings rules, business hours, intake."""
