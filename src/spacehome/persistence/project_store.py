"""Projects in the database: creation from a selected proposal, reference data, state changes with
their audit log, and data products.

:class:`ProjectStore` takes and returns domain values (:class:`~spacehome.domain.projects.Project`,
``ProjectAuditEntry``, ``DataProduct``); rows and domain values meet only in the functions at the
end of this module. As in :mod:`spacehome.persistence.program_store`:

* every public write is one transaction (``engine.write_session``);
* a project's ``version`` starts at 1 and every state change is a compare-and-set
  (``UPDATE ... WHERE id = :id AND version = :expected AND state = :from``); a stale version is a
  :class:`StaleProjectError` and nothing is written;
* the new state and its audit entry are written in the same transaction, and so are a new
  project and its creation entry;
* the caller gives ``now``: the store reads no clock.

A data product links a project to a file of the blob store's catalogue (the ``attachments``
table, one row per content); the file itself is written by the caller before the link.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.instant import require_utc
from spacehome.domain.program import ProposalState, Role, TeamInstitution
from spacehome.domain.projects import (
    DataProduct,
    Project,
    ProjectAuditEntry,
    ProjectState,
    Selection,
    check_data_delivery,
    transition,
)
from spacehome.errors import ConflictError, NotFoundError, StaleError, ValidationError

from .attachment_store import StoredFile, check_sha256
from .engine import write_session
from .program_tables import AttachmentRow, ProposalPartnerRow, ProposalRow
from .project_tables import DataProductRow, ProjectAuditRow, ProjectRow

#: The most projects one page returns, and the largest offset (as for proposals).
MAX_PAGE_SIZE: Final = 500
MAX_OFFSET: Final = 1_000_000_000

#: Proposal states a project can be created from, and the selection each means.
SELECTABLE: Final = {
    ProposalState.SELECTED.value: Selection.UNCONDITIONAL,
    ProposalState.CONDITIONALLY_SELECTED.value: Selection.CONDITIONAL,
}


class StaleProjectError(StaleError):
    """The project changed since the caller read it (the API answers 412)."""


@dataclass(frozen=True, slots=True)
class StoredProject:
    """A project with its bookkeeping: ``version`` (the API's ETag) and times."""

    project: Project
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectPage:
    """One page of projects (oldest first, then id) and how many there are in all."""

    items: tuple[StoredProject, ...]
    total: int
    limit: int
    offset: int


class ProjectStore:
    """Projects, their audit log and data products in one migrated database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)

    # --- creation ---------------------------------------------------------------------------

    def create_from_proposal(
        self,
        proposal_id: str,
        *,
        now: datetime,
        actor: str,
        actor_role: Role,
        planner_key: str | None = None,
    ) -> StoredProject:
        """A new project (state ``selected``) from a selected or conditionally selected proposal.

        Owner, title, discipline, team and call come from the proposal; ``planner_key`` defaults
        to the new project's id. One project per proposal (a second is a ConflictError), a
        planner key used by another project is a ConflictError too.
        """
        created = require_utc(now, "now")
        with self._writing() as session:
            row = session.get(ProposalRow, proposal_id)
            if row is None:
                raise NotFoundError(f"no proposal with id {proposal_id!r}: check the id")
            selection = SELECTABLE.get(row.state)
            if selection is None:
                raise ConflictError(
                    f"proposal {proposal_id!r} is '{row.state}': a project is created only from "
                    "a selected or conditionally selected proposal"
                )
            existing = session.scalars(
                select(ProjectRow.id).where(ProjectRow.proposal_id == proposal_id)
            ).first()
            if existing is not None:
                raise ConflictError(
                    f"proposal {proposal_id!r} already has project {existing!r}: use that one"
                )
            partners = session.scalars(
                select(ProposalPartnerRow)
                .where(ProposalPartnerRow.proposal_id == proposal_id)
                .order_by(ProposalPartnerRow.position)
            ).all()
            institutions = (
                TeamInstitution(row.lead_institution, row.lead_country),
                *(TeamInstitution(p.institution, p.country) for p in partners),
            )
            project_id = uuid.uuid4().hex
            project = Project(
                id=project_id,
                title=row.title,
                discipline=row.discipline,
                institutions=institutions,
                countries=tuple(m.country for m in institutions),
                selection=selection,
                state=ProjectState.SELECTED,
                cycle=row.call_id,
                source=f"proposal {proposal_id} to call {row.call_id}",
                owner_id=row.partner_id,
                proposal_id=proposal_id,
                planner_key=planner_key or project_id,
            )
            entry = ProjectAuditEntry(
                project_id=project_id,
                actor=actor,
                actor_role=actor_role,
                at=created,
                from_state=None,
                to_state=ProjectState.SELECTED,
                why=f"created from proposal {proposal_id} ({row.state})",
            )
            self._insert(session, project, entry)
        return StoredProject(project, version=1, created_at=created, updated_at=created)

    def load_reference(
        self, projects: Iterable[Project], *, now: datetime, actor: str, why: str
    ) -> tuple[list[str], list[str]]:
        """Add the reference projects not stored yet, in one transaction; return the ids added
        and the ids already present (left exactly as they are: loading twice changes nothing)."""
        created = require_utc(now, "now")
        added: list[str] = []
        present: list[str] = []
        with self._writing() as session:
            for project in projects:
                if project.owner_id is not None or project.proposal_id is not None:
                    raise ValidationError(
                        f"reference project {project.id!r} has an owner or a proposal: reference "
                        "data belongs to no account"
                    )
                if session.get(ProjectRow, project.id) is not None:
                    present.append(project.id)
                    continue
                entry = ProjectAuditEntry(
                    project_id=project.id,
                    actor=actor,
                    actor_role=Role.ADMIN,
                    at=created,
                    from_state=None,
                    to_state=project.state,
                    why=why,
                )
                self._insert(session, project, entry)
                added.append(project.id)
        return added, present

    def _insert(self, session: Session, project: Project, entry: ProjectAuditEntry) -> None:
        if project.planner_key is not None:
            clash = session.scalars(
                select(ProjectRow.id).where(ProjectRow.planner_key == project.planner_key)
            ).first()
            if clash is not None:
                raise ConflictError(
                    f"planner key {project.planner_key!r} is already project {clash!r}'s: "
                    "choose another"
                )
        session.add(
            ProjectRow(
                **_project_values(project),
                version=1,
                created_at=entry.at,
                updated_at=entry.at,
            )
        )
        session.flush()
        session.execute(insert(ProjectAuditRow).values(**_audit_values(entry)))

    # --- reads ------------------------------------------------------------------------------

    def get(self, project_id: str) -> StoredProject:
        """The project with this id (NotFoundError when there is none)."""
        with self._reads() as session:
            return _stored(_project_row(session, project_id))

    def list_projects(
        self, *, owner_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> ProjectPage:
        """A page of projects (of one owner, if given), oldest first then by id, with the total."""
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError(f"page limit {limit!r} is out of range: give 1..{MAX_PAGE_SIZE}")
        if isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(f"page offset {offset!r} is out of range: give 0..{MAX_OFFSET}")
        conditions = [] if owner_id is None else [ProjectRow.owner_id == owner_id]
        page = (
            select(ProjectRow)
            .where(*conditions)
            .order_by(ProjectRow.created_at, ProjectRow.id)
            .limit(limit)
            .offset(offset)
        )
        count = select(func.count()).select_from(ProjectRow).where(*conditions)
        with self._reads() as session, session.begin():
            total = int(session.execute(count).scalar_one())
            items = tuple(_stored(row) for row in session.scalars(page))
        return ProjectPage(items=items, total=total, limit=limit, offset=offset)

    def audit_trail(self, project_id: str) -> list[ProjectAuditEntry]:
        """Every entry of a project's audit log, oldest first (the creation first)."""
        query = (
            select(ProjectAuditRow)
            .where(ProjectAuditRow.project_id == project_id)
            .order_by(ProjectAuditRow.at, ProjectAuditRow.id)
        )
        with self._reads() as session, session.begin():
            _project_row(session, project_id)
            return [_audit_from_row(row) for row in session.scalars(query)]

    # --- state changes ----------------------------------------------------------------------

    def change_state(
        self,
        project_id: str,
        target: ProjectState,
        *,
        now: datetime,
        actor: str,
        actor_role: Role,
        expected_version: int,
        why: str = "",
        launched_on: str | None = None,
    ) -> StoredProject:
        """Move a project to ``target`` and log it, atomically, if it is at ``expected_version``.

        The domain decides legality, role, reason and ship
        (:func:`spacehome.domain.projects.transition`); the caller has checked that the ship is
        a mission of the record. A stale version is a :class:`StaleProjectError`.
        """
        with self._writing() as session:
            row = _project_row(session, project_id)
            if isinstance(expected_version, bool) or expected_version != row.version:
                raise _stale(project_id, expected_version)
            stored = _stored(row)
            entry = transition(
                project_id,
                stored.project.state,
                target,
                now=now,
                actor=actor,
                actor_role=actor_role,
                why=why,
                launched_on=launched_on,
            )
            values: dict[str, Any] = {
                "state": target.value,
                "version": ProjectRow.version + 1,
                "updated_at": entry.at,
            }
            if entry.launched_on is not None:
                values["launched_on"] = entry.launched_on
            result = session.execute(
                update(ProjectRow)
                .where(
                    ProjectRow.id == project_id,
                    ProjectRow.version == expected_version,
                    ProjectRow.state == stored.project.state.value,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) != 1:
                raise _stale(project_id, expected_version)
            session.execute(insert(ProjectAuditRow).values(**_audit_values(entry)))
        changed = replace(
            stored.project,
            state=target,
            launched_on=entry.launched_on or stored.project.launched_on,
        )
        return StoredProject(
            changed, version=expected_version + 1, created_at=stored.created_at, updated_at=entry.at
        )

    # --- data products ----------------------------------------------------------------------

    def add_data_product(
        self,
        project_id: str,
        file: StoredFile,
        *,
        filename: str,
        delivered_at: datetime,
        embargo_until: datetime,
        delivered_by: str,
    ) -> DataProduct:
        """Record ``file`` (if new) and link it to a project in ``operating`` or ``completed``.

        In one transaction that also locks the project row. The same content under the same
        name again returns the existing product unchanged; another file under a name already
        used, or the same content under a second name, is a ConflictError.
        """
        if not filename:
            raise ValidationError("the data product's filename is empty: give the file a name")
        check_sha256(file.sha256)
        product = DataProduct(
            project_id=project_id,
            sha256=file.sha256,
            filename=filename,
            size_bytes=file.size_bytes,
            media_type=file.media_type,
            delivered_at=delivered_at,
            embargo_until=embargo_until,
            delivered_by=delivered_by,
        )
        with self._writing() as session:
            project = session.scalars(
                select(ProjectRow).where(ProjectRow.id == project_id).with_for_update()
            ).first()
            if project is None:
                raise NotFoundError(f"no project with id {project_id!r}: check the id")
            check_data_delivery(project_id, ProjectState(project.state))
            same_content = session.get(DataProductRow, (project_id, file.sha256))
            if same_content is not None:
                if same_content.filename == filename:
                    return _product(session, same_content)
                raise ConflictError(
                    f"project {project_id!r} already has this file, named "
                    f"{same_content.filename!r}: it is delivered once"
                )
            same_name = session.scalars(
                select(DataProductRow).where(
                    DataProductRow.project_id == project_id, DataProductRow.filename == filename
                )
            ).first()
            if same_name is not None:
                raise ConflictError(
                    f"project {project_id!r} already has a different file named {filename!r}: "
                    "rename the new file"
                )
            _insert_file(session, file)
            session.add(
                DataProductRow(
                    project_id=project_id,
                    sha256=file.sha256,
                    filename=filename,
                    delivered_at=product.delivered_at,
                    embargo_until=product.embargo_until,
                    delivered_by=delivered_by,
                )
            )
        return product

    def data_products(self, project_id: str) -> list[DataProduct]:
        """A project's data products, by delivery time then filename (NotFoundError: no project)."""
        query = (
            select(DataProductRow, AttachmentRow)
            .join(AttachmentRow, AttachmentRow.sha256 == DataProductRow.sha256)
            .where(DataProductRow.project_id == project_id)
            .order_by(DataProductRow.delivered_at, DataProductRow.filename)
        )
        with self._reads() as session, session.begin():
            _project_row(session, project_id)
            return [_product_from_rows(link, row) for link, row in session.execute(query)]

    def data_product(self, project_id: str, sha256: str) -> DataProduct:
        """The project's data product with this SHA-256 (NotFoundError when there is none)."""
        check_sha256(sha256)
        query = (
            select(DataProductRow, AttachmentRow)
            .join(AttachmentRow, AttachmentRow.sha256 == DataProductRow.sha256)
            .where(DataProductRow.project_id == project_id, DataProductRow.sha256 == sha256)
        )
        with self._reads() as session:
            found = session.execute(query).first()
            if found is None:
                raise NotFoundError(
                    f"project {project_id!r} has no data product {sha256}: list its data products"
                )
            return _product_from_rows(found[0], found[1])

    def _writing(self) -> AbstractContextManager[Session]:
        return write_session(self._engine)


# --- rows <-> domain values ---------------------------------------------------------------------


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count


def _stale(project_id: str, expected: object) -> StaleProjectError:
    return StaleProjectError(
        f"project {project_id!r} is no longer at version {expected!r} (someone else changed it): "
        "read it again and redo the change"
    )


def _project_row(session: Session, project_id: str) -> ProjectRow:
    row = session.get(ProjectRow, project_id)
    if row is None:
        raise NotFoundError(f"no project with id {project_id!r}: check the id")
    return row


def _insert_file(session: Session, file: StoredFile) -> None:
    """Add the file to the blob catalogue; ON CONFLICT DO NOTHING (content seen before)."""
    if isinstance(file.size_bytes, bool) or not isinstance(file.size_bytes, int):
        raise ValidationError(f"size_bytes must be an integer, not {file.size_bytes!r}")
    values = {
        "sha256": file.sha256,
        "size_bytes": file.size_bytes,
        "media_type": file.media_type,
        "stored_path": file.stored_path,
    }
    dialect = session.get_bind().dialect.name
    statement = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(statement(AttachmentRow).values(**values).on_conflict_do_nothing())


def _project_values(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "title": project.title,
        "acronym": project.acronym,
        "discipline": project.discipline,
        "institutions": [{"name": m.name, "country": m.country} for m in project.institutions],
        "countries": None if project.countries is None else list(project.countries),
        "selection": project.selection.value,
        "state": project.state.value,
        "state_note": project.state_note,
        "launched_on": project.launched_on,
        "cycle": project.cycle,
        "source": project.source,
        "sources": list(project.sources),
        "notes": list(project.notes),
        "owner_id": project.owner_id,
        "proposal_id": project.proposal_id,
        "planner_key": project.planner_key,
    }


def _stored(row: ProjectRow) -> StoredProject:
    project = Project(
        id=row.id,
        title=row.title,
        discipline=row.discipline,
        institutions=tuple(TeamInstitution(m["name"], m["country"]) for m in row.institutions),
        countries=None if row.countries is None else tuple(row.countries),
        selection=Selection(row.selection),
        state=ProjectState(row.state),
        cycle=row.cycle,
        source=row.source,
        owner_id=row.owner_id,
        proposal_id=row.proposal_id,
        planner_key=row.planner_key,
        acronym=row.acronym,
        launched_on=row.launched_on,
        state_note=row.state_note,
        sources=tuple(row.sources),
        notes=tuple(row.notes),
    )
    return StoredProject(
        project, version=row.version, created_at=row.created_at, updated_at=row.updated_at
    )


def _audit_values(entry: ProjectAuditEntry) -> dict[str, Any]:
    return {
        "project_id": entry.project_id,
        "actor": entry.actor,
        "actor_role": entry.actor_role.value,
        "at": entry.at,
        "from_state": None if entry.from_state is None else entry.from_state.value,
        "to_state": entry.to_state.value,
        "why": entry.why,
        "launched_on": entry.launched_on,
    }


def _audit_from_row(row: ProjectAuditRow) -> ProjectAuditEntry:
    return ProjectAuditEntry(
        project_id=row.project_id,
        actor=row.actor,
        actor_role=Role(row.actor_role),
        at=row.at,
        from_state=None if row.from_state is None else ProjectState(row.from_state),
        to_state=ProjectState(row.to_state),
        why=row.why,
        launched_on=row.launched_on,
    )


def _product(session: Session, link: DataProductRow) -> DataProduct:
    row = session.get(AttachmentRow, link.sha256)
    assert row is not None  # the foreign key guarantees it
    return _product_from_rows(link, row)


def _product_from_rows(link: DataProductRow, row: AttachmentRow) -> DataProduct:
    return DataProduct(
        project_id=link.project_id,
        sha256=link.sha256,
        filename=link.filename,
        size_bytes=row.size_bytes,
        media_type=row.media_type,
        delivered_at=link.delivered_at,
        embargo_until=link.embargo_until,
        delivered_by=link.delivered_by,
    )


__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "SELECTABLE",
    "ProjectPage",
    "ProjectStore",
    "StaleProjectError",
    "StoredProject",
]
