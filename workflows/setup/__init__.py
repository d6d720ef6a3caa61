"""Making a database ready: the schema (Alembic migrations) and the demo department."""
