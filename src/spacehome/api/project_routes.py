"""Projects and their data products.

==================================================  ==========================================
``GET  /projects``, ``GET /projects/{id}``          everyone (public view; full view for the
                                                    owner, program_officer, admin, planner)
``POST /projects``                                  program_officer, admin: from a selected or
                                                    conditionally selected proposal
``POST /projects/{id}/transitions``                 program_officer, admin; If-Match
``GET  /projects/{id}/audit``                       owner, program_officer, admin, planner
``GET  /projects/{id}/schedule``                    owner, program_officer, admin, planner: the
                                                    project's activities in the current plan
``POST /projects/{id}/data-products``               program_officer, admin, planner (multipart
                                                    ``file``, optional ``embargo_until``)
``GET  /projects/{id}/data-products``               everyone: all for the owner and operations,
                                                    only the public ones for others
``GET  /projects/{id}/data-products/{sha256}``      as the list: an embargoed file is 404 to
                                                    those who may not see it yet
==================================================  ==========================================

Anonymous callers get 401 where a login is needed; other roles 403. A partner asking for the
audit of another partner's project gets 404, as for an unknown id. Single projects carry
``ETag: "<version>"``; a transition needs it in ``If-Match`` (428 without, 412 when stale).
Downloads carry ``ETag: "<sha256>"`` and ``Repr-Digest`` (RFC 9530); the file is checked against
its checksum before it is sent. The clock (embargo, audit) is ``app.state.security.clock``.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from spacehome.api.attachment_routes import content_disposition
from spacehome.api.concurrency import check_if_match, etag_for
from spacehome.api.problems import PROBLEM_RESPONSES
from spacehome.api.reads import INSTANT
from spacehome.api.security import User, actor_of, current_user, request_now, require_roles
from spacehome.domain.instant import parse_instant
from spacehome.domain.program import Role
from spacehome.domain.projects import ProjectState
from spacehome.persistence.project_store import MAX_OFFSET, MAX_PAGE_SIZE
from spacehome.services.attachments import AttachmentTooLarge, BlobStore
from spacehome.services.plans import PlanService, instant
from spacehome.services.projects import DATA_PRODUCT_MAX_BYTES, ProjectService

JSON = dict[str, Any]

_officers = require_roles(Role.PROGRAM_OFFICER, Role.ADMIN)
_auditors = require_roles(Role.PARTNER, Role.PROGRAM_OFFICER, Role.ADMIN, Role.PLANNER)
_deliverers = require_roles(Role.PROGRAM_OFFICER, Role.ADMIN, Role.PLANNER)

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposal_id: str = Field(min_length=1, max_length=100)
    planner_key: str | None = Field(
        default=None,
        pattern="^[a-z0-9][a-z0-9-]{0,63}$",
        description="the project's id in planner scenarios; default: the new project's id",
    )


class ProjectTransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ProjectState
    why: str = Field(default="", max_length=2_000)
    launched_on: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the cargo ship, a mission of the station record (e.g. tianzhou-8); "
        "required for 'launched', refused otherwise",
    )


def _repr_digest(sha256: str) -> str:
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode('ascii')}:"


def router(
    database_url: str | None,
    *,
    blobs: BlobStore | None = None,
    max_bytes: int = DATA_PRODUCT_MAX_BYTES,
) -> APIRouter:
    """The project endpoints. Data products go to the root of ``blobs`` (the attachments' blob
    store; default: see :func:`~spacehome.services.attachments.default_attachments_dir`), with
    their own size limit ``max_bytes``."""
    service = ProjectService.open(
        database_url, blobs_root=None if blobs is None else blobs.root, max_bytes=max_bytes
    )
    plans = PlanService.open(database_url)
    r = APIRouter(tags=["projects"], responses=PROBLEM_RESPONSES)

    @r.get("/projects", summary="Projects, oldest first (public view; full for your own)")
    def list_projects(
        user: Annotated[User, Depends(current_user)],
        limit: Limit = 50,
        offset: Offset = 0,
        mine: bool = False,
    ) -> JSON:
        return service.list_projects(actor_of(user), mine=mine, limit=limit, offset=offset)

    @r.get("/projects/{project_id}", summary="One project (public view; full for the owner)")
    def get_project(
        project_id: str, response: Response, user: Annotated[User, Depends(current_user)]
    ) -> JSON:
        view, version = service.read(actor_of(user), project_id)
        response.headers["ETag"] = etag_for(version)
        return view

    @r.post(
        "/projects",
        status_code=status.HTTP_201_CREATED,
        summary="Create a project from a selected proposal (program_officer, admin)",
    )
    def create_project(
        body: ProjectIn,
        request: Request,
        response: Response,
        user: Annotated[User, Depends(_officers)],
    ) -> JSON:
        actor = actor_of(user)
        stored = service.create(
            actor, body.proposal_id, planner_key=body.planner_key, now=request_now(request)
        )
        response.headers["Location"] = str(
            request.url_for("get_project", project_id=stored.project.id)
        )
        response.headers["ETag"] = etag_for(stored.version)
        view, _ = service.read(actor, stored.project.id)
        return view

    @r.post(
        "/projects/{project_id}/transitions",
        summary="Change a project's state (program_officer, admin; If-Match)",
    )
    def transition(
        project_id: str,
        body: ProjectTransitionIn,
        request: Request,
        response: Response,
        user: Annotated[User, Depends(_officers)],
        if_match: Annotated[str | None, Header()] = None,
    ) -> JSON:
        actor = actor_of(user)
        _, version = service.read(actor, project_id)
        check_if_match(if_match, etag_for(version))
        stored = service.change_state(
            actor,
            project_id,
            body.to,
            why=body.why,
            launched_on=body.launched_on,
            expected_version=version,
            now=request_now(request),
        )
        response.headers["ETag"] = etag_for(stored.version)
        view, _ = service.read(actor, project_id)
        return view

    @r.get(
        "/projects/{project_id}/schedule",
        summary="When the project's activities run in the current plan (owner, program_officer, "
        "admin, planner)",
    )
    def schedule(
        project_id: str,
        user: Annotated[User, Depends(_auditors)],
        start: Annotated[str | None, Query(alias="from", max_length=64, json_schema_extra=INSTANT)] = None,
        end: Annotated[str | None, Query(alias="to", max_length=64, json_schema_extra=INSTANT)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> JSON:
        return service.schedule(
            actor_of(user),
            project_id,
            plans,
            start=instant(start, "from") if start is not None else None,
            end=instant(end, "to") if end is not None else None,
            limit=limit,
            offset=offset,
        )

    @r.get(
        "/projects/{project_id}/audit",
        summary="Every state change of a project (owner, program_officer, admin, planner)",
    )
    def audit(project_id: str, user: Annotated[User, Depends(_auditors)]) -> JSON:
        return service.audit(actor_of(user), project_id)

    @r.post(
        "/projects/{project_id}/data-products",
        status_code=status.HTTP_201_CREATED,
        summary="Deliver a data product (program_officer, admin, planner)",
    )
    def deliver(
        project_id: str,
        file: UploadFile,
        request: Request,
        user: Annotated[User, Depends(_deliverers)],
        embargo_until: Annotated[
            str | None,
            Form(
                max_length=64,
                description="ISO 8601 instant with a zone; default 12 months after delivery",
            ),
        ] = None,
    ) -> JSON:
        """Any file type up to the size limit; its name is reduced to its last path component
        (control characters, ``.``, ``..`` and over-long names: 422); its type is read from its
        content. Same content under the same name again: the existing product."""
        until = None if embargo_until is None else parse_instant(embargo_until, "embargo_until")
        try:
            return service.deliver(
                actor_of(user),
                project_id,
                file.filename,
                file.file,
                embargo_until=until,
                now=request_now(request),
            )
        except AttachmentTooLarge as exc:
            detail = (
                f"the file is larger than the limit of {exc.max_bytes} bytes: send a smaller file"
            )
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail) from None

    @r.get(
        "/projects/{project_id}/data-products",
        summary="A project's data products (embargoed ones only for the owner and operations)",
    )
    def products(
        project_id: str, request: Request, user: Annotated[User, Depends(current_user)]
    ) -> JSON:
        return service.products(actor_of(user), project_id, now=request_now(request))

    @r.get(
        "/projects/{project_id}/data-products/{sha256}",
        summary="Download a data product (checked against its SHA-256)",
        response_class=FileResponse,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    def download(
        project_id: str,
        sha256: str,
        request: Request,
        user: Annotated[User, Depends(current_user)],
    ) -> FileResponse:
        product, path = service.open_product(actor_of(user), project_id, sha256, now=request_now(request))
        public = product.is_public(request_now(request))
        return FileResponse(
            path,
            media_type=product.media_type,
            headers={
                "Content-Disposition": content_disposition(product.filename),
                "ETag": etag_for(product.sha256),
                "Repr-Digest": _repr_digest(product.sha256),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "public, max-age=3600" if public else "private, no-store",
            },
        )

    return r
