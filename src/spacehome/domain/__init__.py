"""Pure domain model: standard library only (enforced by import-linter and a test)."""
