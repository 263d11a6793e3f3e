"""Property-based API test: Schemathesis generates requests from the OpenAPI document and checks
every response (no server error, status, content type and body as documented).

The schema is loaded when the module is imported (Schemathesis parametrizes at collection), so
the app gets a database of its own in a temporary directory, never the user's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from spacehome.api.main import build_app

_DATABASE = Path(tempfile.mkdtemp(prefix="spacehome-schemathesis-")) / "api.sqlite3"
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_app(f"sqlite:///{_DATABASE}"))


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: schemathesis.Case) -> None:
    # Every check except "schema-valid input is accepted": a well-formed request may still be
    # refused for what it means (the station before 2021, a window shorter than a second, a
    # city the gazetteer does not know), with a problem response, which the other checks verify.
    case.call_and_validate(excluded_checks=[checks.positive_data_acceptance])
