from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from spacehome.domain.record import StationRecord
from spacehome.services.station import default_record

DATA = Path(str(resources.files("spacehome.record") / "data"))


@pytest.fixture(scope="session")
def record() -> StationRecord:
    return default_record()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the record's data files, for tests that break them."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def edit(data_copy: Path) -> Callable[[str, str, str], None]:
    """Replace one exact piece of text in a data file (it must occur exactly once)."""

    def _edit(file: str, old: str, new: str) -> None:
        path = data_copy / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return _edit


@pytest.fixture(autouse=True)
def private_database(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SQLite database: no test reads or writes the user's data dir."""
    path = tmp_path_factory.mktemp("db") / "spacehome.sqlite3"
    monkeypatch.setenv("SPACEHOME_DATABASE_URL", f"sqlite:///{path}")
    return path
