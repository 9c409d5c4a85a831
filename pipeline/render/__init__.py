"""Rendering: messages and audiences into validated API requests, offline."""
