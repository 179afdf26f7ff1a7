"""After-sales (售后): mapped classes (`rows`), the state table and the refund policy."""
