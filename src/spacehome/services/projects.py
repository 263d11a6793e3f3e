"""Use cases of projects and their data products, with per-object authorisation.

Views are JSON-ready dicts (times ISO 8601 with ``Z``); the acting account is an
:class:`~spacehome.services.program.Actor`. Errors map as in :mod:`spacehome.services.program`
(404, 422, 409, RoleError 403, :class:`~spacehome.persistence.project_store.StaleProjectError`
412).

Who sees what
-------------
* **Everyone** (also without a login) sees every project's public view: id, title, acronym,
  discipline, lead institution, countries, selection, state, the cargo ship it launched on,
  its cycle, planner key, provenance and notes. The public should see which countries'
  experiments fly, and the program publishes its selected projects anyway.
* The **owning partner**, **program officers**, **admins** and **planners** (who plan the
  project's activities and deliver its data) see the full view: the whole team, the owner and
  proposal ids, version and times, the next states. Reference projects (no owner) show their
  whole team to everyone: every name in them comes from public sources.
* The **audit trail** is for the owner, program officers, admins and planners; any other
  partner gets 404, exactly like an unknown project (ids do not leak between partners).
* **Data products**: the owner, program officers, admins and planners see and download them at
  any time; everyone else (other partners, reviewers, the public) only once the embargo has
  ended, and an embargoed product answers 404 to them, like one that does not exist. The clock
  is the caller's ``now`` (the app's clock).

Data products are uploaded by program officers, admins and planners (the operations side
delivers the data), for projects in ``operating`` or ``completed``. They are stored in the
content-addressed :class:`~spacehome.services.attachments.BlobStore` (streamed, size-limited,
any type): the media type is decided from the content (:func:`sniff_data_type`), never from the
client. On download the file's SHA-256 is recomputed and must equal the recorded one.

Launch: the ship named in ``launched_on`` must be a Tianzhou cargo mission of the station record
that has launched by ``now`` (the record knows its launch time and it is not in the future); it
may be given by id (``tianzhou-8``) or name (``Tianzhou-8``) and is stored as the id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from spacehome.domain.instant import format_utc, require_utc
from spacehome.domain.program import Role, TeamInstitution
from spacehome.domain.projects import (
    DataProduct,
    ProjectAuditEntry,
    ProjectState,
    allowed_targets,
    check_data_delivery,
    embargo_end,
)
from spacehome.domain.record import StationRecord
from spacehome.domain.station import MissionKind
from spacehome.errors import NotFoundError, ValidationError
from spacehome.persistence.attachment_store import check_sha256
from spacehome.persistence.engine import open_database
from spacehome.persistence.project_store import ProjectStore, StoredProject
from spacehome.services.attachments import (
    SNIFF_BYTES,
    BlobStore,
    Readable,
    default_attachments_dir,
    safe_filename,
)
from spacehome.services.plans import PlanService
from spacehome.services.program import Actor
from spacehome.services.station import default_record

JSON = dict[str, Any]

#: Roles that see every project in full, its audit trail and its embargoed data.
OPERATIONS: Final = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN, Role.PLANNER})
#: Roles that create projects and move them.
OFFICERS: Final = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN})
#: Roles that deliver data products.
DELIVERERS: Final = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN, Role.PLANNER})
#: The default size limit of one data product: 200 MB (a policy choice of this installation).
DATA_PRODUCT_MAX_BYTES: Final = 200 * 1000 * 1000

OCTET_STREAM: Final = "application/octet-stream"

_TYPES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"\x89HDF\r\n\x1a\n", "application/x-hdf5"),
    (b"SIMPLE  =", "application/fits"),  # FITS (RFC 4047): the first card is SIMPLE
    (b"CDF\x01", "application/x-netcdf"),
    (b"CDF\x02", "application/x-netcdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)


def sniff_data_type(head: bytes, tail: bytes) -> str:
    """The media type of a data product from its first bytes; any type is accepted.

    Known signatures (PDF, PNG, JPEG, TIFF, HDF5, FITS, netCDF, ZIP, gzip) give their type,
    UTF-8 text without NUL gives ``text/plain``, anything else ``application/octet-stream``.
    An empty file is refused: it carries no data.
    """
    if not head:
        raise ValidationError("the file is empty: send the data product's content")
    for magic, media_type in _TYPES:
        if head.startswith(magic):
            return media_type
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3 and len(head) >= SNIFF_BYTES:
                return "text/plain"  # a character cut at the end of the sample
    return OCTET_STREAM


def cargo_ships(record: StationRecord) -> dict[str, tuple[str, datetime | None]]:
    """The record's cargo missions to the station: id -> (name, launch time or ``None``)."""
    return {
        m.id: (m.name, m.launch.when.value)
        for m in record.station_missions
        if m.kind is MissionKind.CARGO
    }


# --- views --------------------------------------------------------------------------------------


def _institution(member: TeamInstitution) -> JSON:
    return {"name": member.name, "country": member.country}


def public_view(stored: StoredProject) -> JSON:
    """What everyone sees of a project (the full team only for reference data)."""
    p = stored.project
    lead = p.institutions[0] if p.institutions else None
    view: JSON = {
        "id": p.id,
        "title": p.title,
        "acronym": p.acronym,
        "discipline": p.discipline,
        "lead": None if lead is None else _institution(lead),
        "countries": None if p.countries is None else list(p.countries),
        "selection": p.selection.value,
        "state": p.state.value,
        "state_note": p.state_note,
        "launched_on": p.launched_on,
        "cycle": p.cycle,
        "planner_key": p.planner_key,
        "reference": p.is_reference,
        "source": p.source,
        "sources": list(p.sources),
        "notes": list(p.notes),
        "visibility": "public",
    }
    if p.is_reference:
        view["team"] = [_institution(m) for m in p.institutions]
    return view


def full_view(stored: StoredProject) -> JSON:
    """What the owner and the program's operations side see."""
    p = stored.project
    view = public_view(stored)
    view.update(
        team=[_institution(m) for m in p.institutions],
        owner=p.owner_id,
        proposal_id=p.proposal_id,
        next_states=[s.value for s in allowed_targets(p.state)],
        version=stored.version,
        created_at=format_utc(stored.created_at),
        updated_at=format_utc(stored.updated_at),
        visibility="full",
    )
    return view


def _audit_view(entry: ProjectAuditEntry) -> JSON:
    return {
        "at": format_utc(entry.at),
        "actor": entry.actor,
        "actor_role": entry.actor_role.value,
        "from": None if entry.from_state is None else entry.from_state.value,
        "to": entry.to_state.value,
        "why": entry.why,
        "launched_on": entry.launched_on,
    }


def product_view(product: DataProduct, now: datetime) -> JSON:
    return {
        "project_id": product.project_id,
        "sha256": product.sha256,
        "filename": product.filename,
        "size_bytes": product.size_bytes,
        "media_type": product.media_type,
        "delivered_at": format_utc(product.delivered_at),
        "embargo_until": format_utc(product.embargo_until),
        "public": product.is_public(now),
    }


# --- the use cases ------------------------------------------------------------------------------


class ProjectService:
    """Projects and data products on one database and one blob store."""

    def __init__(self, engine: Engine, blobs: BlobStore, record: StationRecord) -> None:
        self.store = ProjectStore(engine)
        self.blobs = blobs
        self.ships = cargo_ships(record)

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        blobs_root: Path | None = None,
        max_bytes: int = DATA_PRODUCT_MAX_BYTES,
    ) -> ProjectService:
        """The service on the project database; data products go to the blob store at
        ``blobs_root`` (default: the attachments' directory), each up to ``max_bytes``."""
        store = BlobStore(blobs_root or default_attachments_dir(), max_bytes=max_bytes)
        return cls(open_database(database_url), store, default_record())

    # access

    def _sees_all(self, actor: Actor, stored: StoredProject) -> bool:
        if actor.role in OPERATIONS:
            return True
        owner = stored.project.owner_id
        return actor.role is Role.PARTNER and bool(actor.id) and owner == actor.id

    def _view(self, actor: Actor, stored: StoredProject) -> JSON:
        return full_view(stored) if self._sees_all(actor, stored) else public_view(stored)

    def _privileged(self, actor: Actor, project_id: str) -> StoredProject:
        """The project if ``actor`` sees it in full; otherwise NotFoundError (ids do not leak)."""
        stored = self.store.get(project_id)
        if not self._sees_all(actor, stored):
            raise NotFoundError(f"no project with id {project_id!r} that you may see: check the id")
        return stored

    # projects

    def read(self, actor: Actor, project_id: str) -> tuple[JSON, int]:
        """The project as ``actor`` may see it, and its version (the ETag)."""
        stored = self.store.get(project_id)
        return self._view(actor, stored), stored.version

    def list_projects(self, actor: Actor, *, mine: bool, limit: int, offset: int) -> JSON:
        """A page of projects, oldest first; ``mine``: only the partner's own."""
        owner = None
        if mine:
            if actor.role is not Role.PARTNER or not actor.id:
                raise ValidationError("'mine' lists a partner's own projects: log in as a partner")
            owner = actor.id
        page = self.store.list_projects(owner_id=owner, limit=limit, offset=offset)
        return {
            "items": [self._view(actor, s) for s in page.items],
            "total": page.total,
            "limit": limit,
            "offset": offset,
        }

    def create(
        self, actor: Actor, proposal_id: str, *, planner_key: str | None, now: datetime
    ) -> StoredProject:
        """A project from a selected proposal (officers; the role is checked by the API too)."""
        if actor.role not in OFFICERS:
            raise ValidationError(f"role '{actor.role.value}' may not create projects")
        return self.store.create_from_proposal(
            proposal_id, now=now, actor=actor.id, actor_role=actor.role, planner_key=planner_key
        )

    def change_state(
        self,
        actor: Actor,
        project_id: str,
        target: ProjectState,
        *,
        why: str,
        launched_on: str | None,
        expected_version: int,
        now: datetime,
    ) -> StoredProject:
        """Move a project; the ship of a launch must be a launched cargo mission of the record."""
        self._privileged(actor, project_id)
        ship = self._ship(launched_on, now) if launched_on else None
        return self.store.change_state(
            project_id,
            target,
            now=now,
            actor=actor.id,
            actor_role=actor.role,
            why=why,
            launched_on=ship,
            expected_version=expected_version,
        )

    def _ship(self, given: str, now: datetime) -> str:
        wanted = given.strip().casefold()
        for mission_id, (name, launched_at) in self.ships.items():
            if wanted in (mission_id.casefold(), name.casefold()):
                if launched_at is None or launched_at > require_utc(now, "now"):
                    raise ValidationError(
                        f"{name} has not launched by {format_utc(now)} as far as the station "
                        "record knows: name a cargo ship that has flown"
                    )
                return mission_id
        known = ", ".join(self.ships)
        raise ValidationError(
            f"{given!r} is not a cargo ship of the station record: give one of {known}"
        )

    def schedule(
        self,
        actor: Actor,
        project_id: str,
        plans: PlanService,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> JSON:
        """When the project's activities run in the current plan: the link from a project to
        the planner, by its ``planner_key`` (the ``project:<key>`` tag of the plan's
        activities). Only for those who see the project in full (another partner: not found)."""
        stored = self._privileged(actor, project_id)
        key = stored.project.planner_key or stored.project.id
        return {
            "project_id": project_id,
            **plans.activities_for_project(key, start=start, end=end, limit=limit, offset=offset),
        }

    def audit(self, actor: Actor, project_id: str) -> JSON:
        self._privileged(actor, project_id)
        entries = [_audit_view(e) for e in self.store.audit_trail(project_id)]
        return {"project_id": project_id, "items": entries, "total": len(entries)}

    # data products

    def deliver(
        self,
        actor: Actor,
        project_id: str,
        filename: str | None,
        source: Readable,
        *,
        embargo_until: datetime | None,
        now: datetime,
    ) -> JSON:
        """Store a file and record it as a data product of the project, embargoed."""
        if actor.role not in DELIVERERS:
            raise ValidationError(f"role '{actor.role.value}' may not deliver data products")
        stored = self._privileged(actor, project_id)
        # Checked here so a refused delivery writes no file; the store checks again in its
        # transaction.
        check_data_delivery(project_id, stored.project.state)
        name = safe_filename(filename)
        ends = embargo_end(now, embargo_until)
        blob = self.blobs.write(source, sniff=sniff_data_type)
        product = self.store.add_data_product(
            project_id,
            blob.stored_file(),
            filename=name,
            delivered_at=now,
            embargo_until=ends,
            delivered_by=actor.id,
        )
        return product_view(product, now)

    def products(self, actor: Actor, project_id: str, *, now: datetime) -> JSON:
        """A project's data products: all for the privileged, the public ones for the others."""
        stored = self.store.get(project_id)
        every = self.store.data_products(project_id)
        shown = every if self._sees_all(actor, stored) else [p for p in every if p.is_public(now)]
        return {
            "project_id": project_id,
            "items": [product_view(p, now) for p in shown],
            "total": len(shown),
        }

    def open_product(
        self, actor: Actor, project_id: str, sha256: str, *, now: datetime
    ) -> tuple[DataProduct, Path]:
        """The product and its verified file; embargoed ones are 404 to those who may not see
        them yet. A file whose content no longer matches its checksum is a server error."""
        check_sha256(sha256)
        stored = self.store.get(project_id)
        product = self.store.data_product(project_id, sha256)
        if not self._sees_all(actor, stored) and not product.is_public(now):
            raise NotFoundError(
                f"project {project_id!r} has no data product {sha256} that you may see: "
                "list its data products"
            )
        path = self.blobs.path(product.sha256)
        if not path.is_file() or file_sha256(path) != product.sha256:
            raise RuntimeError(
                f"data product {sha256} of project {project_id!r} is missing or damaged in the "
                "blob store: restore it from a backup"
            )
        return product, path


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = [
    "DATA_PRODUCT_MAX_BYTES",
    "DELIVERERS",
    "OFFICERS",
    "OPERATIONS",
    "ProjectService",
    "cargo_ships",
    "file_sha256",
    "full_view",
    "product_view",
    "public_view",
    "sniff_data_type",
]
