"""The organisation: units, the people in them, their accounts, the department's calendar."""
