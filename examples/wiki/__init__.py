"""A wiki stored in files: history, edit conflicts, and writes that never lose data."""
