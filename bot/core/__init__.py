"""The messenger-neutral conversation core."""
