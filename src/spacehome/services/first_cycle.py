"""The first UNOOSA-CMSA cycle as reference data: its selected projects as project rows.

:func:`load_first_cycle` adds one project per project of the cycle in the station record
(``record/data/cooperation.toml``), with no owning account, in one transaction; a second run adds
nothing and changes nothing (projects already present are left exactly as they are, including
any state an officer has since recorded).

What is encoded, and what is not
--------------------------------
* **State only as far as the sources say.** Every project was selected on 2019-06-12 (the
  record's ``results_announced``), so each starts as ``selected``. A project is put further only
  where the record's sourced status says so: "in development ..." gives ``development``
  (POLAR-2). Nothing in the record says any project was delivered or launched, so none is; the
  project's ``state_note`` quotes the record's status and says that later states are unknown.
* **Selection** is ``unconditional`` or ``conditional`` where the record says so, else
  ``unknown`` (the sources do not say which two projects besides BARIDI SANA were conditional).
* **The ninth project** is unidentified in the sources: it is stored with no title, no
  institutions and unknown countries (``null``), and the record's note, not an invented name.
* **Planner key** is the record's project id, the id the increment scenarios use for these
  projects (``spacehome.increment.generate``); the unidentified project, which scenarios leave
  out, has none.
* **No call row for the cycle.** A :class:`~spacehome.domain.program.Call` needs a resource
  envelope and exact opening and closing instants; the sources give dates only and no envelope,
  and zero quantities would claim that nothing was offered. The projects therefore stand alone,
  naming the record's cycle id (``unoosa-cmsa-1``) in ``cycle``; the cycle's sourced facts stay
  in the station record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from spacehome.domain.cooperation import Project as RecordProject
from spacehome.domain.program import TeamInstitution
from spacehome.domain.projects import Project, ProjectState, Selection
from spacehome.domain.record import StationRecord
from spacehome.errors import ValidationError
from spacehome.persistence.engine import open_database
from spacehome.persistence.project_store import ProjectStore
from spacehome.services.station import default_record

#: The record's id of the first UNOOSA-CMSA cycle.
FIRST_CYCLE: Final = "unoosa-cmsa-1"
#: Who the audit log names for the load (no account: the record itself).
LOADER: Final = "reference-data"

_SELECTIONS: Final = {
    "selected": Selection.UNCONDITIONAL,
    "conditionally selected": Selection.CONDITIONAL,
}


def sourced_state(status: str | None) -> ProjectState:
    """The furthest state the record's status text supports (see the module docstring)."""
    if status is not None and status.strip().casefold().startswith("in development"):
        return ProjectState.DEVELOPMENT
    return ProjectState.SELECTED


def reference_project(project: RecordProject) -> Project:
    """The project row for one project of the record's cycle."""
    ordered = sorted(project.institutions, key=lambda m: m.role != "lead")
    notes = list(project.notes)
    for what, note in (
        ("title", project.title.note),
        ("countries", project.countries.note),
        ("selection", project.selection.note),
    ):
        if note:
            notes.append(f"{what}: {note}")
    status = project.status.value
    state = sourced_state(status)
    sources = dict.fromkeys((*project.sources, *project.status.all_sources()))
    selection = _SELECTIONS.get(project.selection.value or "", Selection.UNKNOWN)
    countries = project.countries.value
    return Project(
        id=project.id,
        title=project.title.value,
        discipline=project.discipline,
        institutions=tuple(TeamInstitution(m.name, m.country) for m in ordered),
        countries=None if countries is None else tuple(countries),
        selection=selection,
        state=state,
        cycle=project.cycle,
        source=f"station record: cooperation.toml, cycle {project.cycle}, project {project.number}",
        planner_key=project.id if countries is not None else None,
        acronym=project.acronym,
        state_note=(
            f"'{state.value}' as far as the sources say (record status: "
            f"{status or 'not in the sources'}); later states are unknown"
        ),
        sources=tuple(sources),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class FirstCycleLoad:
    """What a load did: the project ids it added and those already present (left unchanged)."""

    cycle: str
    added: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.added) + len(self.unchanged)


def first_cycle_projects(record: StationRecord) -> list[Project]:
    """The reference projects of the first cycle, in the record's order."""
    projects = [reference_project(p) for p in record.projects if p.cycle == FIRST_CYCLE]
    if not projects:
        raise ValidationError(
            f"the station record has no projects of cycle {FIRST_CYCLE!r}: check cooperation.toml"
        )
    return projects


def load_first_cycle(
    database_url: str | None = None,
    *,
    now: datetime | None = None,
    record: StationRecord | None = None,
) -> FirstCycleLoad:
    """Load the first cycle's projects into the database (idempotent, one transaction).

    ``now`` is when the load is logged (default: the real clock, as this is an edge-level use
    case); ``record`` defaults to the shipped station record.
    """
    moment = now if now is not None else datetime.now(UTC)
    projects = first_cycle_projects(record or default_record())
    added, unchanged = ProjectStore(open_database(database_url)).load_reference(
        projects,
        now=moment,
        actor=LOADER,
        why=f"loaded from the station record (cooperation.toml, cycle {FIRST_CYCLE})",
    )
    return FirstCycleLoad(FIRST_CYCLE, tuple(added), tuple(unchanged))


__all__ = [
    "FIRST_CYCLE",
    "LOADER",
    "FirstCycleLoad",
    "first_cycle_projects",
    "load_first_cycle",
    "reference_project",
    "sourced_state",
]
