"""tasks layer (see ARCHITECTURE.md)."""
