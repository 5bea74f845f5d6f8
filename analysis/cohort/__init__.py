"""The simulated study: a seeded generator and its parameters (each with its reason)."""
