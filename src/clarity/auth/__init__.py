"""Authentication and authorisation: passwords, tokens, API keys, roles, object permissions, audit."""
