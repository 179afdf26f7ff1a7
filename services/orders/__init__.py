"""Orders (SPEC §3): transitions, creation, payment, search, counts, the board, the live feed."""
