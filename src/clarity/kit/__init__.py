"""Tiny generic helpers shared by every domain."""
