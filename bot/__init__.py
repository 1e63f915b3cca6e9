"""Ustaz: the messenger learning assistant."""
