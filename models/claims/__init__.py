"""Compensation claims (餐损赔付): mapped classes (`rows`) and their pure rules."""
