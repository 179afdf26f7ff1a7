"""Campaigns (营销): mapped classes (`rows`) and their pure rules."""
