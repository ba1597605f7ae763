"""Who is calling: bearer tokens for the API, the current user, role checks."""
