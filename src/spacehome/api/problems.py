"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

A problem has ``type`` (a URI naming the kind of problem; ``about:blank`` when the HTTP status
says it all), ``title`` (short, the same for every occurrence of the type), ``status``, ``detail``
(one line, this occurrence, what to do about it) and ``instance`` (the request path). Request
validation problems add an ``errors`` extension member listing each field.

:func:`install` maps the spacehome error hierarchy and FastAPI's own errors:

=============================  =====  ==================================================
``ValidationError``            422    (``RecordError`` is the server's data: 500)
``NotFoundError``              404
``RoleError``                  403    (the domain's: the wrong role for a change of state)
``StaleError``                 412    (a write that lost an optimistic-concurrency race)
``ConflictError``              409
other ``SpacehomeError``       400
``RequestValidationError``     422    400 when the JSON body does not even parse
``HTTPException``              its status and headers (401, 403, 412, 428, 429, ...)
anything else                  500    generic detail; the traceback goes to the log only
=============================  =====  ==================================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from spacehome.domain.program import RoleError
from spacehome.errors import (
    ConflictError,
    NotFoundError,
    RecordError,
    SpacehomeError,
    StaleError,
    ValidationError,
)

logger = logging.getLogger(__name__)

PROBLEM_JSON: Final = "application/problem+json"

TYPE_VALIDATION: Final = "urn:spacehome:problem:validation"
TYPE_NOT_FOUND: Final = "urn:spacehome:problem:not-found"
TYPE_CONFLICT: Final = "urn:spacehome:problem:conflict"
TYPE_BAD_REQUEST: Final = "urn:spacehome:problem:bad-request"
TYPE_REQUEST_VALIDATION: Final = "urn:spacehome:problem:request-validation"
TYPE_MALFORMED_BODY: Final = "urn:spacehome:problem:malformed-body"


class Problem(BaseModel):
    """The problem document, for the OpenAPI schema (extension members are allowed)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="One line about this occurrence and how to fix it.")
    instance: str | None = Field(
        default=None, description="The request path the problem occurred on."
    )


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": Problem.model_json_schema()}}


PROBLEM_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    "4XX": {
        "description": "Client error (RFC 9457 problem details)",
        "content": _problem_content(),
    },
    "5XX": {
        "description": "Server error (RFC 9457 problem details)",
        "content": _problem_content(),
    },
}
"""Pass as ``responses=`` to a router so OpenAPI documents every error as a problem.

Declaring ``4XX`` also stops FastAPI from documenting its own 422 ``HTTPValidationError`` shape,
which this API never sends.
"""


def one_line(text: str) -> str:
    """Collapse any run of whitespace (newlines included) to one space."""
    return " ".join(text.split())


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response; ``title`` defaults to the status phrase (as RFC 9457 asks for about:blank)."""
    body: dict[str, Any] = dict(jsonable_encoder(dict(extensions))) if extensions else {}
    body.update(
        type=type_,
        title=title or _phrase(status),
        status=status,
        detail=one_line(detail) or _phrase(status),
    )
    if instance is not None:
        body["instance"] = instance
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def _location(loc: Sequence[Any]) -> tuple[str, str]:
    """('body', 'username') -> ('body', 'username'); nested parts are dotted, list indices bracketed."""
    parts = list(loc)
    where = (
        str(parts.pop(0))
        if parts and parts[0] in {"body", "query", "path", "header", "cookie"}
        else "body"
    )
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return where, name


def _errors_member(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """The ``errors`` extension: location, field, message and type; never the input (it may be a password)."""
    listed = []
    for error in errors:
        where, name = _location(error.get("loc", ()))
        listed.append(
            {
                "in": where,
                "field": name,
                "message": one_line(str(error.get("msg", ""))),
                "type": str(error.get("type", "")),
            }
        )
    return listed


def _request_validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    listed = _errors_member(errors)
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(
            400,
            "The request body is not valid JSON; send a well-formed JSON document.",
            title="Malformed request body",
            type_=TYPE_MALFORMED_BODY,
            instance=request.url.path,
            extensions={"errors": listed},
        )
    if listed:
        first = listed[0]
        target = (
            f"{first['in']} field '{first['field']}'" if first["field"] else f"the {first['in']}"
        )
        detail = f"Invalid {target}: {first['message']}"
        if len(listed) > 1:
            detail += f" (and {len(listed) - 1} more; see 'errors')"
    else:
        detail = "The request is invalid."
    return problem_response(
        422,
        detail,
        title="Request validation failed",
        type_=TYPE_REQUEST_VALIDATION,
        instance=request.url.path,
        extensions={"errors": listed},
    )


def _http_exception_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    extensions: dict[str, Any] = {}
    if isinstance(exc.detail, str):
        detail = exc.detail
    else:
        detail = _phrase(exc.status_code)
        extensions["errors"] = exc.detail
    return problem_response(
        exc.status_code,
        detail,
        instance=request.url.path,
        headers=exc.headers,
        extensions=extensions,
    )


def _server_error_response(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        "The server failed to handle this request; the error has been logged.",
        instance=request.url.path,
    )


def _spacehome_error_response(request: Request, exc: SpacehomeError) -> JSONResponse:
    if isinstance(exc, RecordError):
        # The station record is the server's own data: the client cannot fix it.
        return _server_error_response(request, exc)
    if isinstance(exc, RoleError):  # the wrong role for this change of state
        return problem_response(403, exc.message, instance=request.url.path)
    if isinstance(exc, StaleError):  # lost an optimistic-concurrency race
        return problem_response(412, exc.message, instance=request.url.path)
    if isinstance(exc, ValidationError):
        if exc.field:  # a form shows the message next to this field
            return problem_response(
                422, exc.message, title="Invalid input", type_=TYPE_VALIDATION,
                instance=request.url.path,
                extensions={"errors": [{"in": "body", "field": exc.field, "message": one_line(exc.message), "type": "value_error"}]},
            )
        status, title, type_ = 422, "Invalid input", TYPE_VALIDATION
    elif isinstance(exc, NotFoundError):
        status, title, type_ = 404, "Not found", TYPE_NOT_FOUND
    elif isinstance(exc, ConflictError):
        status, title, type_ = 409, "Conflict", TYPE_CONFLICT
    else:
        status, title, type_ = 400, "Bad request", TYPE_BAD_REQUEST
    return problem_response(
        status, exc.message, title=title, type_=type_, instance=request.url.path
    )


async def _on_spacehome_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SpacehomeError)
    return _spacehome_error_response(request, exc)


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _request_validation_response(request, exc)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _http_exception_response(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return _server_error_response(request, exc)


def install(app: FastAPI) -> None:
    """Install the problem handlers on ``app`` (Starlette's HTTPException covers FastAPI's and 404/405)."""
    app.add_exception_handler(SpacehomeError, _on_spacehome_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
