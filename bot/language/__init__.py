"""What the catalogs cannot do alone: Kazakh case endings after numbers, times and names, Russian
names declined by case, and a person's grammatical gender (bot/language/*.py)."""
