"""The cooperation program's rules that need more than the standard library: portfolio selection and reviewer assignment (OR-Tools)."""
