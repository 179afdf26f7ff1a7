"""Customers: mapped classes (`rows`) and lifecycle segments."""
