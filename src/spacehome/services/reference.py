"""Reference data in the project database: what the station record says about the program.

The station record (``record/data``) is the source; these loaders copy the parts the program's
database works with: the first UNOOSA–CMSA cycle's projects (:mod:`.first_cycle`) and the
foreign astronaut programs with their candidates (:mod:`.astronauts`). Each load is one
transaction and idempotent: what is stored already is kept, so officers' later changes survive
and a second load adds nothing. ``spacehome db upgrade`` and ``spacehome serve`` run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spacehome.services.astronauts import load_reference_candidates
from spacehome.services.first_cycle import load_first_cycle


@dataclass(frozen=True)
class ReferenceLoad:
    """How much reference data the database holds after a load, and how much the load added."""

    projects: int
    projects_added: int
    astronaut_programs: int
    astronaut_programs_added: int
    candidates: int
    candidates_added: int

    def summary(self) -> str:
        added = self.projects_added + self.astronaut_programs_added + self.candidates_added
        return (
            f"reference data from the station record: {self.projects} first-cycle projects, "
            f"{self.astronaut_programs} astronaut programs, {self.candidates} candidates "
            f"({added} added now)"
        )


def load_reference_data(database_url: str | None, *, now: datetime) -> ReferenceLoad:
    """Load the record's first cycle and astronaut candidates into the database (idempotent)."""
    cycle = load_first_cycle(database_url, now=now)
    astronauts = load_reference_candidates(database_url, now=now)
    return ReferenceLoad(
        projects=cycle.total,
        projects_added=len(cycle.added),
        astronaut_programs=int(astronauts["programs"]),
        astronaut_programs_added=int(astronauts["programs_added"]),
        candidates=int(astronauts["candidates"]),
        candidates_added=int(astronauts["candidates_added"]),
    )
