"""The command line: thin Typer commands that parse, call services and render."""
