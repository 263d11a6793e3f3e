"""Proposal attachments over HTTP, on SQLite and on PostgreSQL, with a private data directory."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from spacehome.api import attachment_routes
from spacehome.api.app import API_PREFIX
from spacehome.api.main import build_app
from spacehome.api.security import User
from spacehome.domain.program import (
    Call,
    Modality,
    ProposalState,
    ResourceEnvelope,
    ResourceRequest,
    Role,
    Team,
    TeamInstitution,
)
from spacehome.persistence.engine import open_database
from spacehome.persistence.program_store import ProgramStore, UserRecord
from spacehome.persistence.program_tables import AttachmentRow, ProposalAttachmentRow
from spacehome.services.attachments import BlobStore

NOW = datetime(2026, 9, 10, tzinfo=UTC)
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
SHA = hashlib.sha256(PDF_BYTES).hexdigest()


@dataclass
class World:
    client: TestClient
    store: ProgramStore
    data_dir: Path
    proposal_id: str
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def url(self, *rest: str, proposal_id: str | None = None) -> str:
        return "/".join(
            [f"{API_PREFIX}/proposals/{proposal_id or self.proposal_id}/attachments", *rest]
        )

    def upload(
        self,
        content: bytes = PDF_BYTES,
        filename: str = "plan.pdf",
        who: str = "owner",
        proposal_id: str | None = None,
        content_type: str = "application/pdf",
    ) -> httpx.Response:
        response: httpx.Response = self.client.post(
            self.url(proposal_id=proposal_id),
            files={"file": (filename, content, content_type)},
            headers=self.auth(who) if who else {},
        )
        return response

    def upload_raw(self, filename: bytes, content: bytes = PDF_BYTES) -> httpx.Response:
        """An upload whose multipart filename is sent byte for byte (httpx would escape it)."""
        boundary = "spacehome-test-boundary"
        body = (
            f"--{boundary}\r\n".encode()
            + b'Content-Disposition: form-data; name="file"; filename="'
            + filename
            + b'"\r\nContent-Type: application/pdf\r\n\r\n'
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        response: httpx.Response = self.client.post(
            self.url(),
            content=body,
            headers={
                **self.auth("owner"),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        return response

    def rows(self) -> tuple[int, int]:
        engine = open_database()
        with engine.connect() as connection:
            files = connection.scalar(select(func.count()).select_from(AttachmentRow))
            links = connection.scalar(select(func.count()).select_from(ProposalAttachmentRow))
        engine.dispose()
        return int(files or 0), int(links or 0)

    def blobs(self) -> list[Path]:
        return sorted(p for p in self.data_dir.rglob("*") if p.is_file())


def _call() -> Call:
    return Call(
        id="cycle-2",
        title="Second UNOOSA-CMSA cycle",
        modalities=frozenset({Modality.OWN_EXPERIMENT}),
        opens_at=datetime(2026, 9, 1, tzinfo=UTC),
        closes_at=datetime(2026, 12, 1, tzinfo=UTC),
        envelope=ResourceEnvelope(
            crew_hours=200, rack_months=24, adapter_months=12, upmass_kg=500, downlink_gb=100
        ),
        eligible_countries=frozenset({"KE", "PE"}),
    )


def _proposal(store: ProgramStore, owner: UserRecord) -> str:
    return store.create_proposal(
        call_id="cycle-2",
        partner_id=owner.id,
        title="Plant roots",
        discipline="space life sciences",
        modality=Modality.OWN_EXPERIMENT,
        team=Team(TeamInstitution("University of Nairobi", "KE"), ()),
        request=ResourceRequest(crew_hours=10),
        now=NOW,
    ).proposal.id


@pytest.fixture
def make_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Callable[..., World]:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SPACEHOME_DATA_DIR", str(data_dir))
    # Every test here runs on both databases (the root conftest's ``database_url``).
    monkeypatch.setenv("SPACEHOME_DATABASE_URL", database_url)

    def make(max_bytes: int | None = None) -> World:
        blobs = None if max_bytes is None else BlobStore(max_bytes=max_bytes)
        app = build_app(blobs=blobs)
        store = ProgramStore(open_database())
        store.add_call(_call())
        accounts = {
            "owner": store.create_user(
                "nairobi", Role.PARTNER, "$argon2id$x", now=NOW, partner_org="UoN"
            ),
            "other": store.create_user(
                "lima", Role.PARTNER, "$argon2id$x", now=NOW, partner_org="PUCP"
            ),
            "officer": store.create_user("officer", Role.PROGRAM_OFFICER, "$argon2id$x", now=NOW),
            "admin": store.create_user("root", Role.ADMIN, "$argon2id$x", now=NOW),
            "reviewer": store.create_user("rita", Role.REVIEWER, "$argon2id$x", now=NOW),
        }
        tokens = app.state.security.tokens
        issued = {
            name: tokens.issue(User(id=u.id, username=u.username, role=u.role, password_hash=""))
            for name, u in accounts.items()
        }
        proposal_id = _proposal(store, accounts["owner"])
        return World(TestClient(app), store, data_dir, proposal_id, issued)

    return make


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()


def _problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    assert "\n" not in detail
    assert "Traceback" not in response.text
    return detail


def test_a_pdf_uploads_lists_and_downloads_byte_identical(world: World) -> None:
    r = world.upload()
    assert r.status_code == 201, r.text
    assert r.json() == {
        "sha256": SHA,
        "size_bytes": len(PDF_BYTES),
        "media_type": "application/pdf",
        "filename": "plan.pdf",
    }
    stored = world.data_dir / "attachments" / SHA[:2] / SHA[2:4] / SHA
    assert world.blobs() == [stored]
    assert stored.read_bytes() == PDF_BYTES
    served = Path(attachment_routes.__file__).parents[1]
    assert served not in stored.parents

    for who in ("owner", "officer", "admin"):
        listing = world.client.get(world.url(), headers=world.auth(who))
        assert listing.status_code == 200
        assert [item["filename"] for item in listing.json()["items"]] == ["plan.pdf"]
        down = world.client.get(world.url(SHA), headers=world.auth(who))
        assert down.status_code == 200, down.text
        assert down.content == PDF_BYTES
        assert down.headers["content-type"] == "application/pdf"
        assert down.headers["content-disposition"] == (
            "attachment; filename=\"plan.pdf\"; filename*=UTF-8''plan.pdf"
        )
        assert down.headers["x-content-type-options"] == "nosniff"


def test_the_same_content_twice_is_one_blob(world: World) -> None:
    assert world.upload().status_code == 201
    assert world.upload().status_code == 201  # same name: no-op
    owner = world.store.get_user_by_username("nairobi")
    assert owner is not None
    other = _proposal(world.store, owner)
    assert world.upload(proposal_id=other, filename="copy.pdf").status_code == 201
    assert len(world.blobs()) == 1
    assert world.rows() == (1, 2)
    again = world.upload(filename="renamed.pdf")
    assert "already has this file, named 'plan.pdf'" in _problem(again, 409)
    different = PDF_BYTES.replace(b"Catalog", b"Catalogue")
    clash = world.upload(content=different, filename="plan.pdf")
    assert "different file named 'plan.pdf'" in _problem(clash, 409)


@pytest.mark.parametrize(
    ("content", "filename", "found"),
    [
        (PNG_BYTES, "picture.pdf", "a PNG image"),
        (b"This is our proposal, honestly a PDF.\n", "proposal.pdf", "plain text"),
    ],
)
def test_wrong_content_is_refused_with_415_naming_what_it_is(
    world: World, content: bytes, filename: str, found: str
) -> None:
    detail = _problem(world.upload(content=content, filename=filename), 415)
    assert detail.startswith(f"the file starts like {found}, not a PDF")
    assert world.blobs() == []
    assert world.rows() == (0, 0)


def test_oversize_is_413_and_leaves_no_blob_or_row(make_world: Callable[..., World]) -> None:
    world = make_world(max_bytes=1024)
    big = b"%PDF-1.4\n" + b"0" * 2048 + b"\n%%EOF\n"
    detail = _problem(world.upload(content=big), 413)
    assert "larger than the limit of 1024 bytes" in detail
    assert world.blobs() == []
    assert world.rows() == (0, 0)
    assert world.upload().status_code == 201  # a small one still fits


@pytest.mark.parametrize(
    ("given", "kept"),
    [("../../etc/passwd", "passwd"), ("C:\\x\\..\\y.pdf", "y.pdf"), ("a/b.pdf", "b.pdf")],
)
def test_path_like_names_are_reduced_to_their_last_part(
    world: World, given: str, kept: str
) -> None:
    r = world.upload(filename=given)
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == kept
    assert [p.name for p in world.blobs()] == [SHA]  # the stored name is never the client's
    down = world.client.get(world.url(SHA), headers=world.auth("owner"))
    assert f'filename="{kept}"' in down.headers["content-disposition"]


@pytest.mark.parametrize(
    "given", [b"evil\x00.pdf", b"evil\x1b[31m.pdf", b"..", b"dir/..", b"x" * 201]
)
def test_unsafe_names_are_refused_with_422(world: World, given: bytes) -> None:
    _problem(world.upload_raw(given), 422)
    assert world.blobs() == []
    assert world.rows() == (0, 0)


def test_a_non_ascii_name_downloads_with_an_rfc_8187_filename(world: World) -> None:
    assert world.upload_raw("研究 plan;.pdf".encode()).status_code == 201
    down = world.client.get(world.url(SHA), headers=world.auth("officer"))
    assert down.headers["content-disposition"] == (
        "attachment; filename=\"__ plan;.pdf\"; filename*=UTF-8''%E7%A0%94%E7%A9%B6%20plan%3B.pdf"
    )
    assert attachment_routes.content_disposition('say "hi"\\.pdf') == (
        "attachment; filename=\"say _hi__.pdf\"; filename*=UTF-8''say%20%22hi%22%5C.pdf"
    )


def test_another_partner_sees_404_like_an_unknown_proposal(world: World) -> None:
    assert world.upload().status_code == 201
    for response in (
        world.upload(who="other", filename="mine.pdf"),
        world.client.get(world.url(), headers=world.auth("other")),
        world.client.get(world.url(SHA), headers=world.auth("other")),
        world.client.get(world.url(proposal_id="nope"), headers=world.auth("owner")),
    ):
        _problem(response, 404)
    assert world.rows() == (1, 1)
    missing = world.client.get(world.url("0" * 64), headers=world.auth("owner"))
    _problem(missing, 404)
    malformed = world.client.get(world.url("..%2F..%2Fetc"), headers=world.auth("owner"))
    assert malformed.status_code in {404, 422}


def test_anonymous_is_401_and_other_roles_403(world: World) -> None:
    assert world.upload().status_code == 201
    _problem(world.upload(who=""), 401)
    _problem(world.client.get(world.url()), 401)
    _problem(world.client.get(world.url(SHA)), 401)
    _problem(world.upload(who="officer", filename="o.pdf"), 403)
    _problem(world.client.get(world.url(SHA), headers=world.auth("reviewer")), 403)


def test_upload_to_a_submitted_proposal_is_409(world: World) -> None:
    owner = world.store.get_user_by_username("nairobi")
    assert owner is not None
    world.store.change_state(
        world.proposal_id,
        ProposalState.SUBMITTED,
        now=NOW,
        actor=owner.id,
        actor_role=Role.PARTNER,
        expected_version=None,
    )
    assert "not a draft" in _problem(world.upload(), 409)
    assert world.blobs() == []
    assert world.rows() == (0, 0)


def test_openapi_documents_the_endpoints(world: World) -> None:
    paths = world.client.get(f"{API_PREFIX}/openapi.json").json()["paths"]
    assert "post" in paths[f"{API_PREFIX}/proposals/{{proposal_id}}/attachments"]
    assert "get" in paths[f"{API_PREFIX}/proposals/{{proposal_id}}/attachments/{{sha256}}"]
    options = world.client.options(world.url())
    assert options.status_code == 204
    assert options.headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert not world.data_dir.exists()  # nothing is created until the first upload
