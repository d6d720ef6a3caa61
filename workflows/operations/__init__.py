"""What operators run: backup and restore, the consistency check, health, the scheduler lease."""
