"""The domain of Đôn đốc: organisation, directives, assignments, deadlines, history."""
