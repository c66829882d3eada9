"""Drawing above the model: figures (and, later, the live view)."""
