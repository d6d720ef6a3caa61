"""The steps of an assignment's work, and the generic steps of JSON Schema forms."""
