"""Campaigns (营销): administration, the list, figures, conflicts and pricing at checkout."""
