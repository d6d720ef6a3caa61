"""Who may come in and what they may do: sessions, sign-in, API tokens, permissions."""
