"""HPI: a self-hosted human-in-the-loop task service."""
