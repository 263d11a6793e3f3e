"""A proposal's files: upload (the owning partner, drafts only), list and download.

=========================================================  ===========================================
``POST /proposals/{id}/attachments``                       multipart ``file``: a PDF up to the limit
``GET  /proposals/{id}/attachments``                       the files, by filename
``GET  /proposals/{id}/attachments/{sha256}``              the file, as a download
=========================================================  ===========================================

Owners (partners) reach their own proposals; program officers and admins read every proposal's
files. Another partner's proposal answers 404, like an unknown one. The content decides the type:
anything but a PDF is a 415 problem naming what it looks like; an oversize file is a 413. See
``spacehome.services.attachments`` for the store, the sniffing and the filename policy.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from spacehome.api import problems
from spacehome.api.security import User, require_roles
from spacehome.domain.program import Role
from spacehome.persistence.attachment_store import ProposalAttachment
from spacehome.services.attachments import (
    AttachmentTooLarge,
    BlobStore,
    UnsupportedAttachment,
    attachments_service,
)

_LIST = "/proposals/{proposal_id}/attachments"
_ONE = "/proposals/{proposal_id}/attachments/{sha256}"
_owner = require_roles(Role.PARTNER)
_reader = require_roles(Role.PARTNER, Role.PROGRAM_OFFICER, Role.ADMIN)


class AttachmentOut(BaseModel):
    sha256: str
    size_bytes: int
    media_type: str
    filename: str


class AttachmentList(BaseModel):
    items: list[AttachmentOut]


def _out(attachment: ProposalAttachment) -> AttachmentOut:
    return AttachmentOut(
        sha256=attachment.sha256,
        size_bytes=attachment.size_bytes,
        media_type=attachment.media_type,
        filename=attachment.filename,
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266, RFC 8187)."""
    fallback = "".join(
        char if " " <= char <= "~" and char not in {'"', "\\"} else "_" for char in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def router(database_url: str | None, *, blobs: BlobStore | None = None) -> APIRouter:
    """The attachment endpoints on the database at ``database_url`` and the blob store ``blobs``
    (default: ``attachments`` in ``SPACEHOME_DATA_DIR`` or the user's data directory)."""
    service = attachments_service(database_url, blobs)
    r = APIRouter(tags=["proposal attachments"], responses=problems.PROBLEM_RESPONSES)

    @r.post(
        _LIST,
        status_code=status.HTTP_201_CREATED,
        summary="Attach a PDF to your draft proposal",
    )
    def upload(
        proposal_id: str, file: UploadFile, user: Annotated[User, Depends(_owner)]
    ) -> AttachmentOut:
        """The file is kept once per content (SHA-256) under a sanitised display name: a path
        is reduced to its last part; control characters, ``.``, ``..`` and names over 200
        characters are refused (422)."""
        try:
            attachment = service.upload(
                proposal_id, file.filename, file.file, user_id=user.id, role=user.role
            )
        except AttachmentTooLarge as exc:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, exc.message) from None
        except UnsupportedAttachment as exc:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, exc.message) from None
        return _out(attachment)

    @r.get(_LIST, summary="A proposal's files")
    def listing(proposal_id: str, user: Annotated[User, Depends(_reader)]) -> AttachmentList:
        items = service.list(proposal_id, user_id=user.id, role=user.role)
        return AttachmentList(items=[_out(item) for item in items])

    @r.get(
        _ONE,
        summary="Download one of a proposal's files",
        response_class=FileResponse,
        responses={200: {"content": {"application/pdf": {}}}},
    )
    def download(
        proposal_id: str, sha256: str, user: Annotated[User, Depends(_reader)]
    ) -> FileResponse:
        attachment, path = service.open(proposal_id, sha256, user_id=user.id, role=user.role)
        return FileResponse(
            path,
            media_type=attachment.media_type,
            headers={
                "Content-Disposition": content_disposition(attachment.filename),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return r
