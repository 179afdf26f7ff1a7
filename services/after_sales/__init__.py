"""After-sales (售后, SPEC §4): requests and decisions, batches, the list, refunds."""
