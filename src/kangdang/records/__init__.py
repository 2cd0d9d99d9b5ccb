"""The national forms: definitions (data files), the form engine, service records and their derived values."""
