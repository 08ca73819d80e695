"""Read-side queries, one module per resource, with explicit parameters."""
