"""Pure rules, no database: the calendar, timeliness, search folding, cleaning typed text."""
