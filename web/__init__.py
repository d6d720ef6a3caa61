"""Every entry point of Đôn đốc: the Flask app, the CLI and the scheduler wiring."""
