"""Process diagrams as administrators manage them: versions, migration, step forms and schemas."""
