"""Background work that runs for the app's lifetime (Reflex lifespan tasks)."""
