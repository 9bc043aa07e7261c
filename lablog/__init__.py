"""lablog layer (see ARCHITECTURE.md)."""
