"""Read-side queries: each opens a read-only session and returns frozen dataclasses."""
