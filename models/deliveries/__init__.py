"""Store delivery (O2O): mapped classes (`rows`), stages and exception queues."""
