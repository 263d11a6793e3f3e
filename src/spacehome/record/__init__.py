"""The station record: versioned TOML data files and the loader that validates them."""
