"""HTTP plumbing only: dependencies, error envelope, middleware, metrics. No business rules here."""
