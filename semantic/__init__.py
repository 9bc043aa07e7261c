"""semantic layer (see ARCHITECTURE.md)."""
