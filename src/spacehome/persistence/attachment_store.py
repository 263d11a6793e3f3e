"""Proposal attachments in the database: one row per stored file, one link per proposal and name.

The files themselves live in the blob store (``spacehome.services.attachments``), named by their
SHA-256; this module keeps only what is known about them:

* ``attachments``: one row per distinct content (``sha256``, size, sniffed media type, the path
  relative to the blob store). Adding the same content twice is a no-op.
* ``proposal_attachments``: which file a proposal carries under which display name. A name is
  unique per proposal, and so is a file: the same content attached under a second name is refused,
  so a proposal's file is addressed by its SHA-256 alone.

Every public method runs in one transaction. :meth:`AttachmentStore.attach` checks, in the same
transaction that writes the link, that the proposal exists and is still a draft (the proposal row
is locked on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so a file cannot slip
in after the proposal was submitted.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from spacehome.domain.program import ProposalState
from spacehome.errors import ConflictError, NotFoundError, ValidationError

from .engine import write_session
from .program_tables import AttachmentRow, ProposalAttachmentRow, ProposalRow

_SHA256: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A stored file: its SHA-256 (64 lowercase hex digits), size, media type, relative path."""

    sha256: str
    size_bytes: int
    media_type: str
    stored_path: str


@dataclass(frozen=True, slots=True)
class ProposalAttachment:
    """A file as attached to a proposal, under the (already sanitised) display ``filename``."""

    proposal_id: str
    filename: str
    sha256: str
    size_bytes: int
    media_type: str
    stored_path: str


def check_sha256(sha256: str) -> str:
    """``sha256`` when it is 64 lowercase hex digits, else a ValidationError."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValidationError(
            f"{sha256!r} is not a SHA-256 digest: give 64 lowercase hexadecimal digits"
        )
    return sha256


class AttachmentStore:
    """Attachment rows in one migrated database; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)

    def add(self, file: StoredFile) -> None:
        """Record a stored file; recording the same SHA-256 again changes nothing."""
        with self._writing() as session:
            _insert_file(session, file)

    def get(self, sha256: str) -> StoredFile | None:
        """What is recorded about the file with this SHA-256, or ``None``."""
        with self._reads() as session:
            row = session.get(AttachmentRow, check_sha256(sha256))
            return None if row is None else _file_from_row(row)

    def attach(self, proposal_id: str, filename: str, file: StoredFile) -> ProposalAttachment:
        """Record ``file`` (if new) and link it to a draft proposal under ``filename``.

        Attaching the same file under the same name again is a no-op. A name the proposal already
        uses for other content, the same content under another name, and a proposal that is no
        longer a draft are each a ConflictError; an unknown proposal is a NotFoundError. The
        caller gives a sanitised filename: this store does not judge names beyond emptiness.
        """
        if not filename:
            raise ValidationError("the attachment's filename is empty: give the file a name")
        check_sha256(file.sha256)
        with self._writing() as session:
            proposal = session.scalars(
                select(ProposalRow).where(ProposalRow.id == proposal_id).with_for_update()
            ).first()
            if proposal is None:
                raise NotFoundError(f"no proposal with id {proposal_id!r}: check the id")
            if proposal.state != ProposalState.DRAFT.value:
                raise ConflictError(
                    f"proposal {proposal_id!r} is {proposal.state}, not a draft: files can only "
                    "be attached while a proposal is a draft"
                )
            _insert_file(session, file)
            same_name = session.get(ProposalAttachmentRow, (proposal_id, filename))
            if same_name is not None:
                if same_name.sha256 == file.sha256:
                    return self._attachment(session, same_name)
                raise ConflictError(
                    f"proposal {proposal_id!r} already has a different file named {filename!r}: "
                    "rename the new file"
                )
            same_content = session.scalars(
                select(ProposalAttachmentRow).where(
                    ProposalAttachmentRow.proposal_id == proposal_id,
                    ProposalAttachmentRow.sha256 == file.sha256,
                )
            ).first()
            if same_content is not None:
                raise ConflictError(
                    f"proposal {proposal_id!r} already has this file, named "
                    f"{same_content.filename!r}: it is attached once"
                )
            link = ProposalAttachmentRow(
                proposal_id=proposal_id, filename=filename, sha256=file.sha256
            )
            session.add(link)
            session.flush()
            return self._attachment(session, link)

    def list_for_proposal(self, proposal_id: str) -> list[ProposalAttachment]:
        """The files attached to a proposal, by filename (empty when there are none)."""
        with self._reads() as session:
            query = (
                select(ProposalAttachmentRow, AttachmentRow)
                .join(AttachmentRow, AttachmentRow.sha256 == ProposalAttachmentRow.sha256)
                .where(ProposalAttachmentRow.proposal_id == proposal_id)
                .order_by(ProposalAttachmentRow.filename)
            )
            return [_attachment_from_rows(link, row) for link, row in session.execute(query)]

    def get_for_proposal(self, proposal_id: str, sha256: str) -> ProposalAttachment:
        """The proposal's file with this SHA-256 (NotFoundError when it carries no such file)."""
        check_sha256(sha256)
        with self._reads() as session:
            query = (
                select(ProposalAttachmentRow, AttachmentRow)
                .join(AttachmentRow, AttachmentRow.sha256 == ProposalAttachmentRow.sha256)
                .where(
                    ProposalAttachmentRow.proposal_id == proposal_id,
                    ProposalAttachmentRow.sha256 == sha256,
                )
                .order_by(ProposalAttachmentRow.filename)
            )
            found = session.execute(query).first()
            if found is None:
                raise NotFoundError(
                    f"proposal {proposal_id!r} has no attachment {sha256}: list its attachments"
                )
            return _attachment_from_rows(found[0], found[1])

    @staticmethod
    def _attachment(session: Session, link: ProposalAttachmentRow) -> ProposalAttachment:
        row = session.get(AttachmentRow, link.sha256)
        assert row is not None  # the foreign key guarantees it
        return _attachment_from_rows(link, row)

    def _writing(self) -> AbstractContextManager[Session]:
        return write_session(self._engine)


def _insert_file(session: Session, file: StoredFile) -> None:
    """INSERT ... ON CONFLICT (sha256) DO NOTHING: concurrent adds of one content both succeed."""
    check_sha256(file.sha256)
    if isinstance(file.size_bytes, bool) or not isinstance(file.size_bytes, int):
        raise ValidationError(f"size_bytes must be an integer, not {file.size_bytes!r}")
    if file.size_bytes < 0:
        raise ValidationError(f"size_bytes must not be negative, not {file.size_bytes}")
    values = {
        "sha256": file.sha256,
        "size_bytes": file.size_bytes,
        "media_type": file.media_type,
        "stored_path": file.stored_path,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(AttachmentRow).values(**values).on_conflict_do_nothing())


def _file_from_row(row: AttachmentRow) -> StoredFile:
    return StoredFile(
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        media_type=row.media_type,
        stored_path=row.stored_path,
    )


def _attachment_from_rows(link: ProposalAttachmentRow, row: AttachmentRow) -> ProposalAttachment:
    return ProposalAttachment(
        proposal_id=link.proposal_id,
        filename=link.filename,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        media_type=row.media_type,
        stored_path=row.stored_path,
    )


__all__ = ["AttachmentStore", "ProposalAttachment", "StoredFile", "check_sha256"]
