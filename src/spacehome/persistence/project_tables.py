"""The projects' tables: projects, their audit log, and their data products.

Rows are storage, not domain values: ``project_store`` converts between these rows and the
domain's :class:`~spacehome.domain.projects.Project`, ``ProjectAuditEntry`` and ``DataProduct``.

* ``projects``: one row per project. ``title`` and ``countries`` are NULL where the sources do
  not say (reference data); ``institutions`` is a JSON list of ``{"name", "country"}``, lead
  first; ``owner_id`` and ``proposal_id`` are NULL for reference data; ``planner_key`` (unique)
  is the project's id in planner scenarios; ``version`` is the compare-and-set counter.
* ``project_audit``: append-only; ``from_state`` is NULL for the creation entry.
* ``data_products``: which stored file (``attachments.sha256``, the blob store's catalogue) a
  project carries under which display name, with its delivery and embargo times.

Revision ``0004`` creates them; ``tables`` imports this module so ``Base.metadata`` is complete.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from spacehome.domain.projects import ProjectState, Selection

from .tables import Base, UTCDateTime, big_id

PROJECT_STATE_VALUES = tuple(state.value for state in ProjectState)
SELECTION_VALUES = tuple(selection.value for selection in Selection)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"



class ProjectRow(Base):
    """A project (from a selected proposal, or reference data of the first cycle)."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(_one_of("state", PROJECT_STATE_VALUES), name="state"),
        CheckConstraint(_one_of("selection", SELECTION_VALUES), name="selection"),
        CheckConstraint("version >= 1", name="version"),
        UniqueConstraint("proposal_id"),
        UniqueConstraint("planner_key"),
        Index(None, "owner_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    acronym: Mapped[str] = mapped_column(Text)
    discipline: Mapped[str] = mapped_column(Text)
    institutions: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    countries: Mapped[list[str] | None] = mapped_column(JSON)
    selection: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32))
    state_note: Mapped[str] = mapped_column(Text)
    launched_on: Mapped[str | None] = mapped_column(Text)
    cycle: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[list[str]] = mapped_column(JSON)
    owner_id: Mapped[str | None] = mapped_column(Text, ForeignKey("users.id"))
    proposal_id: Mapped[str | None] = mapped_column(Text, ForeignKey("proposals.id"))
    planner_key: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProjectAuditRow(Base):
    """One state change of one project (append-only); ``from_state`` NULL for the creation."""

    __tablename__ = "project_audit"
    __table_args__ = (Index(None, "project_id", "at"),)

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(Text, ForeignKey("projects.id"))
    actor: Mapped[str] = mapped_column(Text)
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    why: Mapped[str] = mapped_column(Text)
    launched_on: Mapped[str | None] = mapped_column(Text)


class DataProductRow(Base):
    """A file delivered for a project (one row per project and content; names unique too)."""

    __tablename__ = "data_products"
    __table_args__ = (UniqueConstraint("project_id", "filename"),)

    project_id: Mapped[str] = mapped_column(
        Text, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("attachments.sha256"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(Text)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    embargo_until: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_by: Mapped[str] = mapped_column(Text)


__all__ = [
    "PROJECT_STATE_VALUES",
    "SELECTION_VALUES",
    "DataProductRow",
    "ProjectAuditRow",
    "ProjectRow",
]
