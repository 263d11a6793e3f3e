"""Every error leaves the API as an RFC 9457 problem, and never with a traceback."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header, HTTPException, Query, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from spacehome.api import problems
from spacehome.api.concurrency import check_if_match, etag_for
from spacehome.errors import (
    ConflictError,
    NaiveTimeError,
    NotFoundError,
    RecordError,
    SpacehomeError,
    ValidationError,
)


class Payload(BaseModel):
    name: str
    crew: int


def build() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    raisers: dict[str, Exception] = {
        "validation": ValidationError("the time '2025-01-01T00:00' has no UTC offset; add one"),
        "naive": NaiveTimeError("time without zone"),
        "not-found": NotFoundError("no module called 'Wentian2'; see `spacehome station modules`"),
        "conflict": ConflictError("proposal P-7 is already submitted"),
        "plain": SpacehomeError("something the caller can fix"),
        "record": RecordError("modules.toml", "Tianhe", "mass", "not a number"),
        "multiline": ValidationError("first line\nsecond line"),
        "http": HTTPException(status_code=403, detail="not yours"),
        "http-structured": HTTPException(status_code=400, detail={"why": "structured"}),
        "boom": RuntimeError("secret internals: /etc/passwd\nTraceback (most recent call last)"),
    }

    @app.get("/raise/{kind}")
    def raise_it(kind: str) -> None:
        raise raisers[kind]

    @app.get("/items")
    def items(limit: Annotated[int, Query(ge=1, le=100)] = 10) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/payload")
    def payload(body: Payload) -> Payload:
        return body

    @app.post("/batch")
    def batch(body: list[Payload]) -> int:
        return len(body)

    version = {"value": 3}

    @app.get("/thing")
    def read_thing(response: Response) -> dict[str, int]:
        response.headers["ETag"] = etag_for(version["value"])
        return version

    @app.put("/thing")
    def update_thing(
        response: Response, if_match: Annotated[str | None, Header()] = None
    ) -> dict[str, int]:
        check_if_match(if_match, etag_for(version["value"]))
        version["value"] += 1
        response.headers["ETag"] = etag_for(version["value"])
        return version

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(build(), raise_server_exceptions=False)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert "\n" not in body["detail"]
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize(
    ("kind", "status", "type_"),
    [
        ("validation", 422, problems.TYPE_VALIDATION),
        ("naive", 422, problems.TYPE_VALIDATION),
        ("not-found", 404, problems.TYPE_NOT_FOUND),
        ("conflict", 409, problems.TYPE_CONFLICT),
        ("plain", 400, problems.TYPE_BAD_REQUEST),
    ],
)
def test_spacehome_errors_map_to_problems(
    client: TestClient, kind: str, status: int, type_: str
) -> None:
    body = assert_problem(client.get(f"/raise/{kind}"), status)
    assert body["type"] == type_
    assert body["instance"] == f"/raise/{kind}"


def test_domain_message_is_the_detail(client: TestClient) -> None:
    body = assert_problem(client.get("/raise/not-found"), 404)
    assert body["detail"] == "no module called 'Wentian2'; see `spacehome station modules`"
    assert body["title"] == "Not found"


def test_detail_is_one_line(client: TestClient) -> None:
    assert assert_problem(client.get("/raise/multiline"), 422)["detail"] == "first line second line"


def test_http_exception_keeps_its_status(client: TestClient) -> None:
    body = assert_problem(client.get("/raise/http"), 403)
    assert body == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "not yours",
        "instance": "/raise/http",
    }
    structured = assert_problem(client.get("/raise/http-structured"), 400)
    assert structured["errors"] == {"why": "structured"}


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert assert_problem(client.get("/nowhere"), 404)["title"] == "Not Found"
    assert_problem(client.delete("/items"), 405)


def test_request_validation_names_the_field(client: TestClient) -> None:
    body = assert_problem(client.get("/items", params={"limit": 0}), 422)
    assert body["type"] == problems.TYPE_REQUEST_VALIDATION
    assert body["detail"].startswith("Invalid query field 'limit': ")
    assert body["errors"] == [
        {
            "in": "query",
            "field": "limit",
            "message": "Input should be greater than or equal to 1",
            "type": "greater_than_equal",
        }
    ]


def test_request_validation_counts_the_rest(client: TestClient) -> None:
    body = assert_problem(
        client.post("/payload", json={"crew": "many", "password": "hunter2"}), 422
    )
    assert body["detail"].startswith("Invalid body field 'name': Field required (and 1 more")
    assert [error["field"] for error in body["errors"]] == ["name", "crew"]
    assert "hunter2" not in str(body)
    assert "many" not in str(body)  # inputs are never echoed


def test_nested_fields_are_dotted(client: TestClient) -> None:
    body = assert_problem(
        client.post("/batch", json=[{"name": "a", "crew": 1}, {"name": "b", "crew": "x"}]), 422
    )
    assert body["errors"][0]["field"] == "[1].crew"


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/payload", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["type"] == problems.TYPE_MALFORMED_BODY


def test_unexpected_error_is_500_without_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="spacehome.api.problems"):
        body = assert_problem(client.get("/raise/boom"), 500)
    assert body["detail"] == "The server failed to handle this request; the error has been logged."
    assert "Traceback" not in str(body)
    assert "passwd" not in str(body)
    assert any(
        record.exc_info and "secret internals" in str(record.exc_info[1])
        for record in caplog.records
    )


def test_record_error_is_the_servers_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/raise/record"), 500)
    assert "modules.toml" not in body["detail"]


def test_problem_response_extensions_cannot_override_standard_members() -> None:
    response = problems.problem_response(409, "x", extensions={"status": 200, "hint": "retry"})
    assert response.status_code == 409
    assert b'"status":409' in response.body
    assert b'"hint":"retry"' in response.body


# --- ETag / If-Match --------------------------------------------------------------------------


def test_etag_for_is_strong_and_quoted() -> None:
    assert etag_for(7) == '"7"'
    assert etag_for("v7-abc") == '"v7-abc"'
    for bad in ('a"b', "a b", "", True):
        with pytest.raises(ValidationError):
            etag_for(bad)


def test_update_without_if_match_is_428(client: TestClient) -> None:
    body = assert_problem(client.put("/thing"), 428)
    assert "If-Match" in body["detail"]


def test_matching_update_passes_and_stale_one_is_412(client: TestClient) -> None:
    etag = client.get("/thing").headers["etag"]
    assert etag == '"3"'
    first = client.put("/thing", headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] == '"4"'
    stale = client.put("/thing", headers={"If-Match": etag})
    body = assert_problem(stale, 412)
    assert stale.headers["etag"] == '"4"'
    assert "changed" in body["detail"]
    assert client.get("/thing").json() == {"value": 4}  # the stale write changed nothing


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ('"4"', 200),
        ('"1", "4"', 200),
        ("*", 200),
        ('W/"4"', 412),  # If-Match uses the strong comparison
        ('"5"', 412),
        ("4", 400),
        ('"4",,', 400),
        ("   ", 428),
    ],
)
def test_if_match_forms(client: TestClient, header: str, status: int) -> None:
    client.put("/thing", headers={"If-Match": '"3"'})
    assert client.put("/thing", headers={"If-Match": header}).status_code == status
