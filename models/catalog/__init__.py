"""The catalogue: mapped classes (`rows`) and its pure rules."""
