"""A Rich progress bar on stderr for long commands: only on a terminal, started lazily.

Lazily: the bar appears at the first progress report, so an error raised before the work starts
(bad input) stays the one line the command line promises. Never in pipes, logs or ``--json``.
"""

from __future__ import annotations

from typing import Any, Self

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn


class TerminalProgress:
    """``with TerminalProgress("solving", enabled=not as_json, total=60) as bar: bar.update(...)``"""

    def __init__(
        self, label: str, *columns: ProgressColumn, total: float | None, enabled: bool, **fields: Any
    ) -> None:
        console = Console(stderr=True)
        self.enabled = enabled and console.is_terminal
        self.progress = Progress(
            TextColumn(f"[bold]{label}[/bold]"), BarColumn(), *columns, TimeElapsedColumn(),
            console=console, transient=True,
        )
        self.task = self.progress.add_task(label, total=total, **fields)
        self.started = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.progress.stop()

    def update(self, **changes: Any) -> None:
        if not self.enabled:
            return
        if not self.started:
            self.progress.start()
            self.started = True
        self.progress.update(self.task, **changes)
