"""The browser door: one module per page, its state beside it."""
