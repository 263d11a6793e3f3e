"""The attachment blob store: content addressing, atomic writes, the size limit, sniffing, names."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

import spacehome
from spacehome.errors import ValidationError
from spacehome.services.attachments import (
    DEFAULT_MAX_BYTES,
    PDF,
    AttachmentTooLarge,
    BlobStore,
    UnsupportedAttachment,
    default_attachments_dir,
    safe_filename,
    sniff_media_type,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "attachments", max_bytes=4096)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


class CountingReader:
    """An endless upload that counts what was read from it."""

    def __init__(self, start: bytes) -> None:
        self.start = start
        self.read_bytes = 0
        self.largest_read = 0

    def read(self, size: int = -1, /) -> bytes:
        assert size > 0, "the store must never ask for everything at once"
        self.largest_read = max(self.largest_read, size)
        chunk = (self.start + b"x" * size)[:size] if self.read_bytes == 0 else b"x" * size
        self.read_bytes += len(chunk)
        return chunk


def test_a_pdf_is_stored_under_its_sha256_in_two_level_fan_out(store: BlobStore) -> None:
    blob = store.write(io.BytesIO(PDF_BYTES))
    sha = hashlib.sha256(PDF_BYTES).hexdigest()
    assert (blob.sha256, blob.size_bytes, blob.media_type, blob.created) == (
        sha,
        len(PDF_BYTES),
        PDF,
        True,
    )
    assert blob.stored_path == f"{sha[:2]}/{sha[2:4]}/{sha}"
    path = store.root / sha[:2] / sha[2:4] / sha
    assert store.path(sha) == path
    assert path.read_bytes() == PDF_BYTES
    assert _files(store.root) == [path]  # no temporary file left over
    assert path.stat().st_mode & 0o077 == 0


def test_the_same_content_twice_is_one_file(store: BlobStore) -> None:
    first = store.write(io.BytesIO(PDF_BYTES))
    again = store.write(io.BytesIO(PDF_BYTES))
    assert again.sha256 == first.sha256
    assert (first.created, again.created) == (True, False)
    assert len(_files(store.root)) == 1


def test_oversize_stops_reading_at_the_limit_and_leaves_nothing(store: BlobStore) -> None:
    reader = CountingReader(b"%PDF-1.4\n")
    with pytest.raises(AttachmentTooLarge, match="larger than the limit of 4096 bytes"):
        store.write(reader)
    assert reader.read_bytes == store.max_bytes + 1
    assert _files(store.root) == []


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=len(PDF_BYTES))
    assert store.write(io.BytesIO(PDF_BYTES)).size_bytes == len(PDF_BYTES)
    small = BlobStore(tmp_path, max_bytes=len(PDF_BYTES) - 1)
    with pytest.raises(AttachmentTooLarge):
        small.write(io.BytesIO(PDF_BYTES))


def test_a_large_upload_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=1_000_000)
    reader = CountingReader(b"%PDF-1.7\n")
    with pytest.raises(AttachmentTooLarge):
        store.write(reader)
    assert reader.largest_read <= 64 * 1024


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "a PNG image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "a JPEG image"),
        (b"PK\x03\x04" + b"\x00" * 40, "a ZIP archive"),
        (b"MZ\x90\x00" + b"\x00" * 40, "a Windows executable"),
        (b"<!DOCTYPE html><html></html>", "an HTML page"),
        (b"Dear committee,\nplease find our proposal.\n", "plain text"),
        (b"\x00\x01\x02\xfe\xff" * 20, "binary data of an unrecognised kind"),
        (b"", "an empty file"),
    ],
)
def test_anything_but_a_pdf_is_refused_naming_what_it_is(
    store: BlobStore, content: bytes, found: str
) -> None:
    with pytest.raises(UnsupportedAttachment) as caught:
        store.write(io.BytesIO(content))
    message = str(caught.value)
    assert message.startswith(f"the file starts like {found}")
    assert "not a PDF" in message
    assert "\n" not in message
    assert _files(store.root) == []


def test_a_pdf_without_its_end_marker_is_refused(store: BlobStore) -> None:
    with pytest.raises(UnsupportedAttachment, match="no %%EOF marker near its end"):
        store.write(io.BytesIO(PDF_BYTES.replace(b"%%EOF", b"")))
    assert _files(store.root) == []


def test_sniffing_windows() -> None:
    assert sniff_media_type(b"junk" * 100 + b"%PDF-1.4", b"%%EOF\n") == PDF
    assert sniff_media_type(b"%PDF-2.0", b"%%EOF" + b"\n" * 1000) == PDF
    with pytest.raises(UnsupportedAttachment):
        sniff_media_type(b" " * 1024 + b"%PDF-1.4", b"%%EOF")  # header too far in
    with pytest.raises(UnsupportedAttachment):
        sniff_media_type(b"%PDF-1.4", b"%%EOF" + b"\n" * 1024)  # end marker too far from the end


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("proposal.pdf", "proposal.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\..\\y.pdf", "y.pdf"),
        ("a/b.pdf", "b.pdf"),
        ("/abs/path/plan.pdf", "plan.pdf"),
        ("  spaced name.pdf  ", "spaced name.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),  # decomposed é -> NFC
        ("研究计划.pdf", "研究计划.pdf"),
        ("x" * 196 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_path_like_names_are_reduced_to_their_final_component(given: str, kept: str) -> None:
    assert safe_filename(given) == kept


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (None, "no name"),
        ("", "no name"),
        ("   ", "no name"),
        (".", "names a directory"),
        ("..", "names a directory"),
        ("a/..", "names a directory"),
        ("dir/", "names a directory"),
        ("evil\x00.pdf", "control or invisible"),
        ("line\nbreak.pdf", "control or invisible"),
        ("evil\u202efdp.exe", "control or invisible"),
        ("x" * 197 + ".pdf", "more than 200"),
    ],
)
def test_unsafe_names_are_refused_in_one_line(given: str | None, why: str) -> None:
    with pytest.raises(ValidationError, match=why) as caught:
        safe_filename(given)
    assert "\n" not in str(caught.value)


def test_the_store_lives_in_the_data_dir_and_never_inside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPACEHOME_DATA_DIR", str(tmp_path / "data"))
    assert default_attachments_dir() == tmp_path / "data" / "attachments"
    store = BlobStore()
    assert store.root == (tmp_path / "data" / "attachments").resolve()
    assert not store.root.exists()  # made at the first write, not when the app is built
    assert store.max_bytes == DEFAULT_MAX_BYTES == 20_000_000
    package = Path(spacehome.__file__).parent
    with pytest.raises(ValidationError, match="SPACEHOME_DATA_DIR"):
        BlobStore(package / "attachments")
    served = tmp_path / "www"
    with pytest.raises(ValidationError, match="inside"):
        BlobStore(served / "static" / "attachments", served_dirs=[served])
    assert not (served / "static").exists()
    with pytest.raises(ValidationError, match="positive integer"):
        BlobStore(tmp_path, max_bytes=0)


def test_a_malformed_digest_never_becomes_a_path(store: BlobStore) -> None:
    for bad in ("../../etc/passwd", "A" * 64, "ab" * 31, ""):
        with pytest.raises(ValidationError, match="not a SHA-256 digest"):
            store.path(bad)
