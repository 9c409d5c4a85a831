"""Reviewing: preview, lint and diff of what each recipient receives."""
