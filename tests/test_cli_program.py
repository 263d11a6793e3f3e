"""``spacehome calls``, ``proposals`` and ``demo seed`` as an operator runs them, on the per-test
SQLite database (SPACEHOME_DATABASE_URL, set by the root conftest), with a frozen clock."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spacehome.cli import main
from spacehome.domain.program import Role
from spacehome.services import accounts, demo
from spacehome.services.program import ProgramService

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
FAST = accounts.Passwords(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "demo-only-password-for-tests"

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(main.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def as_json(*args: str) -> Any:
    code, out, err = invoke(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def refused(*args: str) -> str:
    """The command fails with exit code 2 and one line on stderr; that line."""
    code, out, err = invoke(*args)
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main, "clock", lambda: NOW)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoResult]:
    """The demo (5 proposals) seeded once into a file that each test copies (seeding takes
    seconds; copying a file, milliseconds)."""
    path = tmp_path_factory.mktemp("template") / "demo.sqlite3"
    result = demo.seed_demo(
        f"sqlite:///{path}", now=NOW, proposals=5, password=PASSWORD, passwords=FAST
    )
    return path, result


def _copy_demo(template: tuple[Path, demo.DemoResult], private_database: Path) -> demo.DemoResult:
    shutil.copyfile(template[0], private_database)
    return template[1]


@pytest.fixture
def seeded(template: tuple[Path, demo.DemoResult], private_database: Path) -> demo.DemoResult:
    """The demo and an admin account, in this test's own database (SPACEHOME_DATABASE_URL)."""
    result = _copy_demo(template, private_database)
    accounts.create_account(
        accounts.program_store(), "admin", "admin", PASSWORD, now=NOW, passwords=FAST
    )
    return result


def _owner_of(proposal_id: str) -> str:
    store = ProgramService.open().store
    owner = store.get_user_by_id(store.get_proposal(proposal_id).proposal.partner_id)
    assert owner is not None
    return owner.username


def _write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


# --- calls --------------------------------------------------------------------------------------


def test_calls_list_and_show(seeded: demo.DemoResult) -> None:
    calls = as_json("calls", "list")
    assert [c["id"] for c in calls] == ["demo-synthetic-1"]
    assert calls[0]["open_now"] is True
    view = as_json("calls", "show", "demo-synthetic-1")
    assert view["title"].startswith("SYNTHETIC DEMO —")
    assert view["opens_at"] == "2026-10-30T09:00:00Z"
    assert view["envelope"]["crew_hours"]["unit"] == "h"
    code, out, _ = invoke("calls", "show", "demo-synthetic-1")
    assert code == 0
    assert "SYNTHETIC DEMO" in out
    assert "crew_hours" in out
    assert "open now" in out
    code, out, _ = invoke("calls", "list")
    assert code == 0
    assert "demo-synthetic-1" in out
    assert "no call with id 'cycle-9'" in refused("calls", "show", "cycle-9")


def test_calls_ranking(seeded: demo.DemoResult) -> None:
    ranking = as_json("calls", "ranking", "demo-synthetic-1")
    assert [r["proposal_id"] for r in ranking] == [r["proposal_id"] for r in seeded.ranking]
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4, 5]
    assert all(r["reviews"] == 3 for r in ranking)
    assert ranking[0]["aggregate"] >= ranking[-1]["aggregate"]


def test_calls_create_from_a_file(seeded: demo.DemoResult, tmp_path: Path) -> None:
    call = {
        "id": "cycle-2",
        "title": "Second cycle",
        "modalities": ["own_experiment", "facility"],
        "opens_at": "2026-12-01T00:00:00Z",
        "closes_at": "2027-03-01T00:00:00Z",
        "envelope": {"crew_hours": 100, "upmass_kg": 50},
        "eligible_countries": ["KE", "PE"],
    }
    file = _write(tmp_path, "call.json", call)
    view = as_json("calls", "create", "--file", file)
    assert view["id"] == "cycle-2"
    assert view["eligible_countries"] == ["KE", "PE"]
    assert view["envelope"]["upmass_kg"] == {"amount": 50.0, "unit": "kg"}
    assert view["open_now"] is False
    assert as_json("calls", "show", "cycle-2")["closes_at"] == "2027-03-01T00:00:00Z"
    # refusals: one line each, and nothing written
    assert "already exists" in refused("calls", "create", "--file", file)
    naive = _write(
        tmp_path, "naive.json", {**call, "id": "cycle-3", "opens_at": "2026-12-01T00:00:00"}
    )
    assert "opens_at" in refused("calls", "create", "--file", naive)
    missing = _write(tmp_path, "missing.json", {k: v for k, v in call.items() if k != "title"})
    assert "title: Field required" in refused("calls", "create", "--file", missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert "not JSON (line 1" in refused("calls", "create", "--file", str(broken))
    assert "no such file" in refused("calls", "create", "--file", str(tmp_path / "absent.json"))
    partner = _owner_of(next(iter(seeded.proposal_ids.values())))
    other = _write(tmp_path, "other.json", {**call, "id": "cycle-4"})
    err = refused("calls", "create", "--file", other, "--as", partner)
    assert "is a partner: only program_officer or admin may" in err
    assert [c["id"] for c in as_json("calls", "list")] == ["demo-synthetic-1", "cycle-2"]


# --- proposals ----------------------------------------------------------------------------------


def test_proposals_list_filters_and_partner_view(seeded: demo.DemoResult) -> None:
    listed = as_json("proposals", "list", "--call", "demo-synthetic-1", "--state", "under_review")
    assert {p["id"] for p in listed} == set(seeded.proposal_ids.values())
    assert as_json("proposals", "list", "--state", "selected") == []
    first = next(iter(seeded.proposal_ids.values()))
    owner = _owner_of(first)
    own = as_json("proposals", "list", "--as", owner)
    assert first in {p["id"] for p in own}
    assert all(_owner_of(p["id"]) == owner for p in own)
    assert len(own) < len(listed)
    code, out, _ = invoke("proposals", "list", "--call", "demo-synthetic-1")
    assert code == 0
    assert "under_review" in out
    assert "(synthetic)" in out
    assert "not a proposal state" in refused("proposals", "list", "--state", "bogus")
    assert "no call with id 'nope'" in refused("proposals", "list", "--call", "nope")
    assert "no account 'nobody'" in refused("proposals", "list", "--as", "nobody")


def test_proposals_show_hides_other_partners_proposals(seeded: demo.DemoResult) -> None:
    ids = list(seeded.proposal_ids.values())
    view = as_json("proposals", "show", ids[0])
    assert view["state"] == "under_review"
    assert view["next_states"] == ["shortlisted", "rejected", "withdrawn"]
    assert view["team"]["lead"]["name"].endswith("(synthetic)")
    stranger = next(_owner_of(i) for i in ids if _owner_of(i) != _owner_of(ids[0]))
    err = refused("proposals", "show", ids[0], "--as", stranger)
    assert f"no proposal with id '{ids[0]}'" in err
    code, out, _ = invoke("proposals", "show", ids[0])
    assert code == 0
    assert "next states" in out
    assert "shortlisted" in out


def test_transitions_follow_the_rules_and_the_audit_names_the_account(
    seeded: demo.DemoResult,
) -> None:
    pid = next(iter(seeded.proposal_ids.values()))
    partner = _owner_of(pid)
    # illegal change, missing reason, wrong role: one line each, state unchanged
    assert "cannot become 'submitted'" in refused(
        "proposals", "transition", pid, "--to", "submitted", "--as", "demo-officer"
    )
    assert "needs a reason: give --reason" in refused(
        "proposals", "transition", pid, "--to", "rejected", "--as", "demo-officer"
    )
    assert "role 'partner' may not move" in refused(
        "proposals", "transition", pid, "--to", "shortlisted", "--as", partner
    )
    assert "not a proposal state" in refused("proposals", "transition", pid, "--to", "accepted")
    assert as_json("proposals", "show", pid)["state"] == "under_review"
    # legal: the officer shortlists, the admin (the default --as) rejects with a reason
    view = as_json("proposals", "transition", pid, "--to", "shortlisted", "--as", "demo-officer")
    assert view["state"] == "shortlisted"
    code, out, err = invoke(
        "proposals", "transition", pid, "--to", "rejected", "--reason", "envelope exhausted"
    )
    assert code == 0, err
    assert out == f"proposal {pid}: shortlisted -> rejected (by admin, admin)\n"
    audit = as_json("proposals", "audit", pid)
    assert audit["total"] == 4
    assert [(e["actor_username"], e["actor_role"], e["from"], e["to"]) for e in audit["items"]] == [
        (partner, "partner", "draft", "submitted"),
        ("demo-officer", "program_officer", "submitted", "under_review"),
        ("demo-officer", "program_officer", "under_review", "shortlisted"),
        ("admin", "admin", "shortlisted", "rejected"),
    ]
    assert audit["items"][-1]["why"] == "envelope exhausted"
    assert audit["items"][-1]["at"] == "2026-11-29T09:30:00Z"
    code, out, _ = invoke("proposals", "audit", pid)
    assert code == 0
    assert "envelope exhausted" in out
    assert "demo-officer" in out


def test_the_deadline_rule_applies_to_the_command_line(
    seeded: demo.DemoResult, tmp_path: Path
) -> None:
    closed = {
        "id": "closed-1",
        "title": "A call that has closed",
        "modalities": ["facility"],
        "opens_at": "2026-01-01T00:00:00Z",
        "closes_at": "2026-02-01T00:00:00Z",
        "envelope": {"crew_hours": 100},
    }
    as_json("calls", "create", "--file", _write(tmp_path, "closed.json", closed))
    partner = _owner_of(next(iter(seeded.proposal_ids.values())))
    proposal = {
        "title": "Late idea",
        "discipline": "space life sciences",
        "modality": "facility",
        "team": {"lead": {"name": "Demo Lab (synthetic)", "country": "KE"}},
        "request": {"crew_hours": 10},
    }
    file = _write(tmp_path, "proposal.json", proposal)
    late = as_json("proposals", "create", "--call", "closed-1", "--file", file, "--as", partner)
    assert late["state"] == "draft"
    err = refused("proposals", "transition", late["id"], "--to", "submitted", "--as", partner)
    assert "call 'closed-1' closed at 2026-02-01T00:00:00Z" in err
    assert as_json("proposals", "show", late["id"])["state"] == "draft"
    # the demo call is open: the same draft there is submitted, by its partner
    on_time = as_json(
        "proposals", "create", "--call", "demo-synthetic-1", "--file", file, "--as", partner
    )
    moved = as_json("proposals", "transition", on_time["id"], "--to", "submitted", "--as", partner)
    assert moved["state"] == "submitted"
    assert "is a program_officer: only partner may" in refused(
        "proposals", "create", "--call", "demo-synthetic-1", "--file", file, "--as", "demo-officer"
    )


def test_writes_need_an_existing_account(
    template: tuple[Path, demo.DemoResult], private_database: Path
) -> None:
    _copy_demo(template, private_database)
    pid = ProgramService.open().store.list_proposals(limit=1).items[0].proposal.id
    err = refused("proposals", "transition", pid, "--to", "shortlisted")
    assert "no account 'admin' in this database: give --as USERNAME" in err


# --- demo seed ----------------------------------------------------------------------------------


def test_demo_seed_command_then_refuses_a_second_run() -> None:
    view = as_json("demo", "seed", "--proposals", "5", "--seed", "2")
    assert view["synthetic"] is True
    assert view["call"]["id"] == "demo-synthetic-1"
    assert view["proposals"] == 5
    assert view["reviews"] == 15
    assert view["first_cycle"]["projects"] == 9
    assert len(view["ranking"]) == 5
    assert len(view["password"]) >= 12
    roles = {a["role"] for a in view["accounts"]}
    assert roles == {"program_officer", "partner", "reviewer"}
    # the printed password logs in: the hash stored is Argon2id of it
    store = accounts.program_store()
    officer = store.get_user_by_username("demo-officer")
    assert officer is not None
    assert officer.role is Role.PROGRAM_OFFICER
    assert accounts.Passwords().verify(view["password"], officer.password_hash)
    err = refused("demo", "seed", "--proposals", "5")
    assert "already seeded" in err
    assert len(as_json("proposals", "list")) == 5


def test_demo_seed_human_output(
    monkeypatch: pytest.MonkeyPatch, template: tuple[Path, demo.DemoResult]
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_seed(database_url: str | None, **options: Any) -> demo.DemoResult:
        calls.append({"database_url": database_url, **options})
        options["progress"](1, 2, "account demo-officer")
        return template[1]

    monkeypatch.setattr(demo, "seed_demo", fake_seed)
    code, out, err = invoke("demo", "seed", "--proposals", "5", "--seed", "9")
    assert code == 0, err
    assert [(c["seed"], c["proposals"], c["now"]) for c in calls] == [(9, 5, NOW)]
    assert "Seeded demo-synthetic-1: SYNTHETIC DEMO —" in out
    assert "5 synthetic proposals (all submitted, now under review)" in out
    assert f"Password of every demo account (demo database only; shown once): {PASSWORD}" in out
    assert "demo-reviewer-12" in out
    assert "Ranking, top 10" in out
    assert "the real record: 9 projects of the first UNOOSA-CMSA cycle" in out
    assert err == ""  # no progress bar outside a terminal


def test_demo_seed_refuses_bad_options() -> None:
    assert "--proposals 1 is out of range: give 5..200" in refused(
        "demo", "seed", "--proposals", "1"
    )
    assert as_json("calls", "list") == []
