"""The catalogue: reads, product and SKU administration, categories."""
