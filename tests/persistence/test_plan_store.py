"""Stored plans (store, service), on SQLite and PostgreSQL: round trip with aware UTC times, the
validator's refusal with nothing written, activity queries, pagination, one current plan."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plan_samples import tiny_plan
from spacehome.errors import NaiveTimeError, NotFoundError, ValidationError
from spacehome.persistence.plan_store import PlanStore
from spacehome.persistence.plan_tables import PlanActivityResourceRow, PlanActivityRow, PlanRow
from spacehome.planning.files import plan_to_data
from spacehome.services.plans import PlanService, new_plan, problem_sha256

NOW = datetime(2026, 9, 6, 8, 30, 15, tzinfo=UTC)
EPOCH = datetime(2026, 9, 7, tzinfo=UTC)




def _count(engine: Engine, row: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(row)).scalar_one())


def test_a_plan_round_trips_with_aware_utc_times_and_filters(engine: Engine) -> None:
    store = PlanStore(engine)
    plan = tiny_plan()
    added = store.add(new_plan(plan, name="increment 1", created_by="pat"), now=NOW)
    stored = store.get(added.id)
    assert stored == added
    assert stored.created_at == NOW
    assert stored.created_at.tzinfo is UTC
    assert stored.horizon_start == EPOCH
    assert stored.horizon_start.tzinfo is UTC
    assert stored.horizon_end == EPOCH + timedelta(days=1)
    assert (stored.name, stored.created_by, stored.solver, stored.solver_status) == (
        "increment 1", "pat", "hand", "optimal"
    )
    assert (stored.objective, stored.bound, stored.validator_verdict) == (15.0, 15.0, "valid")
    assert (stored.activity_count, stored.scheduled_count, stored.unplaced_count) == (3, 3, 0)
    assert stored.problem_sha256 == problem_sha256(plan.problem)
    assert len(stored.scenario_sha256 or "") == 64
    assert json.loads(store.document(added.id)) == json.loads(json.dumps(plan_to_data(plan)))

    page = store.activities(added.id)
    assert page.total == 3
    first = page.items[0]
    assert first.activity_id == "exp-a-run-1"
    assert first.start_at == EPOCH + timedelta(hours=1)
    assert first.start_at.tzinfo is UTC
    assert first.end_at == EPOCH + timedelta(hours=2)
    assert (first.start_offset, first.end_offset) == (60, 120)
    assert first.resources == ("crew:a", "rack:r1")
    assert (first.kind, first.project_key, first.experiment_key) == ("run", "proj-a", "exp-a")
    assert first.groups == ("KE",)
    assert [a.activity_id for a in page.items] == ["exp-a-run-1", "exp-b-run-1", "lunch"]
    assert page.items[2].kind == "crew-day"
    assert page.items[2].project_key is None

    # Filters: by project, by resource held, by overlap with a time range; pagination.
    plan_id = added.id
    ids = lambda page: [a.activity_id for a in page.items]  # noqa: E731
    assert ids(store.activities(plan_id, project_key="proj-b")) == ["exp-b-run-1"]
    assert ids(store.activities(plan_id, resource="crew:a")) == ["exp-a-run-1", "lunch"]
    assert ids(store.activities(plan_id, resource="rack:r1", project_key="proj-a")) == ["exp-a-run-1"]
    # Overlapping [01:30, 02:00): A runs 01:00-02:00; B starts at 02:00 (half-open).
    window = store.activities(plan_id, start=EPOCH + timedelta(minutes=90), end=EPOCH + timedelta(hours=2))
    assert ids(window) == ["exp-a-run-1"]
    assert ids(store.activities(plan_id, start=EPOCH + timedelta(hours=3))) == ["lunch"]
    paged = store.activities(plan_id, limit=2, offset=1)
    assert (ids(paged), paged.total, paged.limit, paged.offset) == (["exp-b-run-1", "lunch"], 3, 2, 1)
    with pytest.raises(NaiveTimeError):
        store.activities(plan_id, start=EPOCH.replace(tzinfo=None))
    with pytest.raises(ValidationError, match="page limit"):
        store.activities(plan_id, limit=0)
    with pytest.raises(NotFoundError, match="no plan with id 'nope'"):
        store.activities("nope")


def test_refused_plans_leave_nothing_written(engine: Engine) -> None:
    service = PlanService(engine)
    data = plan_to_data(tiny_plan(overlap=True))
    with pytest.raises(ValidationError) as refused:
        service.store_plan(data, name="bad", created_by="pat", now=NOW)
    message = refused.value.message
    assert "1 violation(s), nothing was stored: capacity: resource 'rack:r1' is over capacity" in message
    assert "\n" not in message
    assert _count(engine, PlanRow) == 0
    assert _count(engine, PlanActivityRow) == 0

    # No dates (no epoch), or not a plan at all.
    plan = tiny_plan()
    undated = dataclasses.replace(plan, problem=dataclasses.replace(plan.problem, epoch=None))
    with pytest.raises(ValidationError, match="a stored plan needs dates"):
        service.store_plan(plan_to_data(undated), name="x", created_by="pat", now=NOW)
    with pytest.raises(ValidationError, match="not a spacehome plan"):
        service.store_plan({"format": "other"}, name="x", created_by="pat", now=NOW)
    assert _count(engine, PlanRow) == 0

    # A failure while the activities are written rolls the plan back too.
    store = PlanStore(engine)
    record = new_plan(tiny_plan(), name="p", created_by="pat")
    naive = dataclasses.replace(record.activities[2], start_at=EPOCH.replace(tzinfo=None))
    broken = dataclasses.replace(record, activities=(*record.activities[:2], naive))
    with pytest.raises(NaiveTimeError):
        store.add(broken, now=NOW)
    assert _count(engine, PlanRow) == 0
    assert _count(engine, PlanActivityResourceRow) == 0

    # A record not marked valid is refused by the store, and by the database.
    with pytest.raises(ValidationError, match="only plans the validator accepts are stored"):
        PlanStore(engine).add(dataclasses.replace(record, validator_verdict="invalid"), now=NOW)
    row = PlanRow(
        id="x", name="x", created_at=NOW, created_by="x", problem_name="x", problem_sha256="0" * 64,
        scenario_sha256=None, horizon_start=EPOCH, horizon_end=EPOCH + timedelta(days=1),
        time_unit="min", solver="x", solver_status="optimal", objective=None, bound=None,
        validator_verdict="invalid", activity_count=0, scheduled_count=0, unplaced_count=0,
        document="{}",
    )
    with Session(engine) as session:  # and the database's CHECK constraint refuses it too
        session.add(row)
        with pytest.raises(IntegrityError):
            session.commit()
    assert _count(engine, PlanRow) == 0


def test_one_current_plan_publishing_and_pagination(engine: Engine) -> None:
    service = PlanService(engine)
    assert service.current_plan() is None
    assert service.activities_for_project("proj-a") == {
        "plan": None, "project_key": "proj-a", "items": [], "total": 0, "limit": 50, "offset": 0,
    }
    first = service.store_plan(plan_to_data(tiny_plan()), name="v1", created_by="pat", now=NOW)
    second = service.store_plan(
        plan_to_data(tiny_plan()), name="v2", created_by="pat", now=NOW + timedelta(minutes=1)
    )
    assert first["current"] is False
    assert first["published_at"] is None
    published = service.publish(first["id"], by="pat", now=NOW + timedelta(minutes=2))
    assert published["current"] is True
    assert published["published_at"] == "2026-09-06T08:32:15Z"
    service.publish(second["id"], by="root", now=NOW + timedelta(minutes=3))
    listing = service.list_plans(limit=50, offset=0)
    assert [(p["name"], p["current"]) for p in listing["items"]] == [("v2", True), ("v1", False)]
    assert listing["total"] == 2
    current = service.current_plan()
    assert current is not None
    assert current["id"] == second["id"]
    service.publish(first["id"], by="pat", now=NOW + timedelta(minutes=4))  # back to v1
    current = service.current_plan()
    assert current is not None
    assert current["id"] == first["id"]
    with pytest.raises(NotFoundError):
        service.publish("unknown", by="pat", now=NOW)
    mine = service.activities_for_project("proj-a")
    assert mine["plan"] == {"id": first["id"], "name": "v1", "published_at": "2026-09-06T08:34:15Z"}
    assert [(a["activity"], a["start"], a["end"], a["duration_s"]) for a in mine["items"]] == [
        ("exp-a-run-1", "2026-09-07T01:00:00Z", "2026-09-07T02:00:00Z", 3600)
    ]
    assert service.activities_for_project("proj-z")["total"] == 0
    assert service.activities_for_project("proj-a", start=EPOCH + timedelta(hours=2))["total"] == 0

    # Newest first, paginated (two more plans, an hour apart, after v1 and v2).
    for k in (3, 4):
        service.store_plan(plan_to_data(tiny_plan()), name=f"v{k}", created_by="pat", now=NOW + timedelta(hours=k))
    page = service.list_plans(limit=2, offset=1)
    assert [p["name"] for p in page["items"]] == ["v3", "v2"]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert page["items"][0]["created_at"] == "2026-09-06T11:30:15Z"
