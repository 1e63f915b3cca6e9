"""What an operator uses to watch and keep a running Ustaz: metrics (and, later, backups)."""
