"""Orders: mapped classes (`rows`), the state table, actions, counts, filters and query language."""
