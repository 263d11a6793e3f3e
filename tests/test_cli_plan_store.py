"""``spacehome plan store``: a plan file into the database (validated first), on SQLite and
PostgreSQL; an invalid plan is refused with one line and exit code 2, and nothing is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plan_samples import tiny_plan
from spacehome.cli import main
from spacehome.planning.files import plan_to_data, write_plan
from spacehome.services.plans import PlanService

runner = CliRunner()
NOW = datetime(2026, 9, 6, 10, 0, tzinfo=UTC)





def test_plan_store_validates_stores_and_publishes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPACEHOME_DATABASE_URL", database_url)
    monkeypatch.setattr(main, "clock", lambda: NOW)
    broken = tmp_path / "broken.json"
    write_plan(broken, tiny_plan(overlap=True))
    refused = runner.invoke(main.app, ["plan", "store", str(broken)])
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: {broken}: the validator found 1 violation(s), nothing was stored")
    assert "Traceback" not in refused.stderr

    good = tmp_path / "increment-1.json"
    write_plan(good, tiny_plan())
    stored = runner.invoke(main.app, ["plan", "store", str(good), "--publish", "--by", "pat", "--json"])
    assert stored.exit_code == 0, stored.stderr
    view = json.loads(stored.stdout)
    assert (view["name"], view["created_by"], view["created_at"]) == ("increment-1", "pat", "2026-09-06T10:00:00Z")
    assert (view["current"], view["published_at"], view["scheduled"]) == (True, "2026-09-06T10:00:00Z", 3)

    monkeypatch.setattr(main, "clock", lambda: NOW.replace(hour=11))
    plain = runner.invoke(main.app, ["plan", "store", str(good), "--name", "again"])
    assert plain.exit_code == 0, plain.stderr
    assert "Stored 'again' as plan" in plain.stdout
    assert "Not published" in plain.stdout

    service = PlanService.open(database_url)
    assert [p["name"] for p in service.list_plans(limit=10, offset=0)["items"]] == ["again", "increment-1"]
    current = service.current_plan()
    assert current is not None
    assert current["id"] == view["id"]
    assert service.plan_document(view["id"]) == json.loads(json.dumps(plan_to_data(tiny_plan())))
