"""The interface every solver implements (CP-SAT, greedy), and the progress it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from spacehome.planning.problem import Problem, Solution


@dataclass(frozen=True)
class Progress:
    """A solver's state during the search: the best objective so far and the best bound."""

    wall_s: float
    objective: float | None
    bound: float | None
    solutions: int


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class SolveOptions:
    """Limits and reproducibility. Equal options on equal problems give equal solutions."""

    time_limit_s: float = 60.0
    workers: int = 2
    seed: int = 0
    #: stop early once the relative gap to the bound is at most this
    gap_limit: float = 0.0


class Solver(Protocol):
    """Solves a problem; never mutates it; always says what it could not place, and why."""

    name: str

    def solve(
        self,
        problem: Problem,
        options: SolveOptions = SolveOptions(),
        progress: ProgressCallback | None = None,
    ) -> Solution: ...
