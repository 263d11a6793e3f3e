"""Proposal attachments: the blob store, PDF sniffing, the size limit, safe filenames, access.

Files are stored content-addressed, outside any served directory::

    <SPACEHOME_DATA_DIR or the user data dir>/attachments/ab/cd/abcd...(64 hex digits)

* **Names.** A stored file is named by the SHA-256 of its content, in two levels of fan-out
  directories; the client's filename is never used for any path. It is kept only as a display
  name, after :func:`safe_filename`.
* **Atomic writes.** An upload streams into a temporary file in the store's root directory (the
  same file system as its final place), is flushed to disk, and is moved into place with
  ``os.replace``: a reader sees the whole file or none. The same content uploaded twice is one
  file.
* **Size.** Uploads are read in chunks and stop at ``max_bytes + 1`` bytes: nothing unbounded is
  held in memory, and an oversize upload leaves no file behind (:class:`AttachmentTooLarge`).
* **Type.** The content decides, never the name or the client's Content-Type: a PDF has
  ``%PDF-`` within its first 1024 bytes and ``%%EOF`` within its last 1024. Anything else is
  refused with one line naming what it looks like instead (:class:`UnsupportedAttachment`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from platformdirs import user_data_dir

import spacehome
from spacehome.domain.program import ProposalState, Role
from spacehome.errors import ConflictError, NotFoundError, ValidationError
from spacehome.persistence.attachment_store import (
    AttachmentStore,
    ProposalAttachment,
    StoredFile,
    check_sha256,
)
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import ProgramStore, StoredProposal

#: The environment variable naming spacehome's data directory (attachments go in a subdirectory).
DATA_DIR_ENV: Final = "SPACEHOME_DATA_DIR"
#: The subdirectory of the data directory that holds the blob store.
ATTACHMENTS_SUBDIR: Final = "attachments"
#: The default upload limit: 20 MB.
DEFAULT_MAX_BYTES: Final = 20 * 1000 * 1000
#: The only media type accepted so far.
PDF: Final = "application/pdf"
#: The longest display filename accepted, in characters (after NFC normalisation).
MAX_FILENAME_LENGTH: Final = 200
#: How much is read from an upload at a time.
CHUNK_BYTES: Final = 64 * 1024
#: The PDF header must start within this many leading bytes, ``%%EOF`` within as many trailing.
SNIFF_BYTES: Final = 1024

#: Who may read a proposal's attachments besides its owner.
READERS: Final = frozenset({Role.PROGRAM_OFFICER, Role.ADMIN})


class AttachmentTooLarge(ValidationError):
    """An upload over the size limit (the API answers 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            f"the file is larger than the limit of {max_bytes} bytes: send a smaller PDF"
        )
        self.max_bytes = max_bytes


class UnsupportedAttachment(ValidationError):
    """Content that is not a PDF (the API answers 415)."""


class Readable(Protocol):
    """What an upload is read from: a binary file object (``UploadFile.file``, ``io.BytesIO``)."""

    def read(self, size: int = -1, /) -> bytes: ...


# --- where the store is -------------------------------------------------------------------------


def default_attachments_dir() -> Path:
    """``$SPACEHOME_DATA_DIR/attachments``, else ``attachments`` in the user's data directory."""
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    base = Path(configured) if configured else Path(user_data_dir("spacehome"))
    return base / ATTACHMENTS_SUBDIR


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


# --- what a file is -----------------------------------------------------------------------------

_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word, Excel or OpenDocument file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a Linux executable"),
    (b"MZ", "a Windows executable"),
    (b"%!PS", "a PostScript file"),
    (b"{\\rtf", "an RTF document"),
)


def describe(head: bytes) -> str:
    """What the first bytes of a file look like, for a one-line refusal ("a PNG image")."""
    if not head:
        return "an empty file"
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<svg"):
        return "an XML or SVG document"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return "binary data of an unrecognised kind"
    return "plain text"


def sniff_media_type(head: bytes, tail: bytes) -> str:
    """The media type of a file from its first and last :data:`SNIFF_BYTES` bytes.

    Only PDF is accepted: ``%PDF-`` within the head and ``%%EOF`` within the tail. Anything else
    is an :class:`UnsupportedAttachment` whose message says what the file looks like.
    """
    if b"%PDF-" in head[:SNIFF_BYTES]:
        if b"%%EOF" in tail[-SNIFF_BYTES:]:
            return PDF
        raise UnsupportedAttachment(
            "the file starts like a PDF but has no %%EOF marker near its end (cut short?): "
            "send the complete PDF"
        )
    raise UnsupportedAttachment(f"the file starts like {describe(head)}, not a PDF: send a PDF")


# --- names --------------------------------------------------------------------------------------


def _refused_character(char: str) -> bool:
    # Cc: NUL, newlines, escapes; Cf: invisible format characters such as the right-to-left
    # override that makes "evil\u202efdp.exe" display as "evilexe.pdf"; Cs: lone surrogates.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs"}


def safe_filename(name: str | None) -> str:
    """The display name to keep for a client's filename, or a ValidationError.

    Policy: a path is *reduced* to its final component (``../../etc/passwd`` → ``passwd``,
    ``C:\\x\\..\\y.pdf`` → ``y.pdf``, ``a/b.pdf`` → ``b.pdf``; both ``/`` and ``\\`` separate),
    surrounding whitespace is dropped and the result is normalised to NFC. It is *refused* when it
    is then empty, ``.`` or ``..``, longer than :data:`MAX_FILENAME_LENGTH` characters, or holds
    a control, format or surrogate character anywhere in the original (a NUL byte, a newline, a
    right-to-left override). The name is only ever shown and offered on download; it never
    becomes a path.
    """
    if name is None or not name.strip():
        raise ValidationError("the file has no name: send it with a filename such as report.pdf")
    if any(_refused_character(char) for char in name):
        raise ValidationError(
            f"the filename {name!r} contains a control or invisible character: rename the file"
        )
    final = name.replace("\\", "/").rsplit("/", 1)[-1]
    final = unicodedata.normalize("NFC", final.strip())
    if final in {"", ".", ".."}:
        raise ValidationError(
            f"the filename {name!r} names a directory, not a file: send it with a file's name"
        )
    if len(final) > MAX_FILENAME_LENGTH:
        raise ValidationError(
            f"the filename is {len(final)} characters long, more than {MAX_FILENAME_LENGTH}: "
            "shorten it"
        )
    return final


# --- the blob store -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Blob:
    """A file in the blob store, as written by :meth:`BlobStore.write`."""

    sha256: str
    size_bytes: int
    media_type: str
    stored_path: str  # relative to the store's root, with "/" separators
    created: bool  # False when the same content was already stored

    def stored_file(self) -> StoredFile:
        return StoredFile(self.sha256, self.size_bytes, self.media_type, self.stored_path)


class BlobStore:
    """Content-addressed files under ``root`` (created with mode 0o700 at the first write).

    ``served_dirs`` are directories a web server serves files from: the root may not be inside
    any of them, nor inside spacehome's own package directory.
    """

    def __init__(
        self,
        root: Path | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        served_dirs: Iterable[Path] = (),
    ) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValidationError(
                f"the attachment size limit must be a positive integer, not {max_bytes!r}"
            )
        chosen = (root if root is not None else default_attachments_dir()).expanduser()
        self.root = chosen.resolve()
        forbidden = [Path(spacehome.__file__).parent, *served_dirs]
        for directory in forbidden:
            if _inside(self.root, directory.resolve()):
                raise ValidationError(
                    f"the attachment store {self.root} is inside {directory}, which may be "
                    f"served or shipped: set {DATA_DIR_ENV} to a private directory"
                )
        self.max_bytes = max_bytes

    @staticmethod
    def relative_path(sha256: str) -> str:
        """Where the file with this SHA-256 lives, relative to the root: ``ab/cd/abcd...``."""
        check_sha256(sha256)
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        """The absolute path of the file with this SHA-256 (it may not exist)."""
        return self.root.joinpath(*self.relative_path(sha256).split("/"))

    def write(
        self, source: Readable, *, sniff: Callable[[bytes, bytes], str] = sniff_media_type
    ) -> Blob:
        """Stream ``source`` into the store and return the stored file.

        Raises :class:`AttachmentTooLarge` past :attr:`max_bytes` and, with the default ``sniff``,
        :class:`UnsupportedAttachment` for anything but a PDF; in both cases nothing is left in
        the store. ``sniff(head, tail)`` decides the media type from the first and last
        :data:`SNIFF_BYTES` bytes and raises to refuse the file (project data products accept
        other types, see ``spacehome.services.projects``).
        """
        digest = hashlib.sha256()
        size = 0
        head = b""
        tail = b""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=self.root)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                while True:
                    chunk = source.read(min(CHUNK_BYTES, self.max_bytes + 1 - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise AttachmentTooLarge(self.max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    tail = (tail + chunk)[-SNIFF_BYTES:]
                media_type = sniff(head, tail)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.path(sha256)
            created = not final.exists()
            if created:
                final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(temp, 0o600)
                os.replace(temp, final)
            else:
                temp.unlink()
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        return Blob(sha256, size, media_type, self.relative_path(sha256), created)


# --- attachments of proposals -------------------------------------------------------------------


class Attachments:
    """Uploading, listing and opening a proposal's files, with who may do which.

    Partners reach only their own proposals: another partner's proposal is reported exactly like
    an unknown one (NotFoundError), so ids do not leak. Program officers and admins may read
    every proposal's files; only the owning partner may add files, and only to a draft. The
    caller (the API) has already refused every other role.
    """

    def __init__(self, program: ProgramStore, records: AttachmentStore, blobs: BlobStore) -> None:
        self.program = program
        self.records = records
        self.blobs = blobs

    def upload(
        self, proposal_id: str, filename: str | None, source: Readable, *, user_id: str, role: Role
    ) -> ProposalAttachment:
        """Store ``source`` and attach it to the user's draft proposal under a safe filename."""
        stored = self._visible(proposal_id, user_id, role)
        if role is not Role.PARTNER or stored.proposal.partner_id != user_id:
            raise _not_found(proposal_id)
        if stored.proposal.state is not ProposalState.DRAFT:
            raise _not_a_draft(proposal_id, stored.proposal.state)
        name = safe_filename(filename)
        blob = self.blobs.write(source)
        # The store checks again, in the linking transaction, that the proposal is a draft.
        return self.records.attach(proposal_id, name, blob.stored_file())

    def list(self, proposal_id: str, *, user_id: str, role: Role) -> list[ProposalAttachment]:
        """The proposal's files, by filename."""
        self._visible(proposal_id, user_id, role)
        return self.records.list_for_proposal(proposal_id)

    def open(
        self, proposal_id: str, sha256: str, *, user_id: str, role: Role
    ) -> tuple[ProposalAttachment, Path]:
        """The proposal's file with this SHA-256 and its path in the blob store."""
        self._visible(proposal_id, user_id, role)
        attachment = self.records.get_for_proposal(proposal_id, sha256)
        path = self.blobs.path(attachment.sha256)
        if not path.is_file():  # the server's fault: a 500, logged, with the path kept private
            raise RuntimeError(
                f"attachment {sha256} of proposal {proposal_id!r} is recorded but its file "
                f"{path} is missing: restore the attachment store from a backup"
            )
        return attachment, path

    def _visible(self, proposal_id: str, user_id: str, role: Role) -> StoredProposal:
        try:
            stored = self.program.get_proposal(proposal_id)
        except NotFoundError:
            raise _not_found(proposal_id) from None
        if role in READERS:
            return stored
        if role is Role.PARTNER and stored.proposal.partner_id == user_id:
            return stored
        raise _not_found(proposal_id)


def _not_a_draft(proposal_id: str, state: ProposalState) -> ConflictError:
    return ConflictError(
        f"proposal {proposal_id!r} is {state.value}, not a draft: files can only be attached "
        "while a proposal is a draft"
    )


def _not_found(proposal_id: str) -> NotFoundError:
    return NotFoundError(f"no proposal with id {proposal_id!r} that you may see: check the id")


def attachments_service(
    database_url: str | None = None, blobs: BlobStore | None = None
) -> Attachments:
    """Attachments on the project database and a blob store (default: :class:`BlobStore` ())."""
    engine = open_database(database_url)
    return Attachments(ProgramStore(engine), AttachmentStore(engine), blobs or BlobStore())


__all__ = [
    "ATTACHMENTS_SUBDIR",
    "DATA_DIR_ENV",
    "DEFAULT_MAX_BYTES",
    "MAX_FILENAME_LENGTH",
    "PDF",
    "READERS",
    "AttachmentTooLarge",
    "Attachments",
    "Blob",
    "BlobStore",
    "Readable",
    "UnsupportedAttachment",
    "attachments_service",
    "default_attachments_dir",
    "describe",
    "safe_filename",
    "sniff_media_type",
]
