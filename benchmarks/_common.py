"""Shared helpers for the benchmark scripts: timing, tables, machine facts, the shared catalog.

Not part of the package and not imported by the tests. Each script puts this directory on
``sys.path`` simply by being run as ``.venv/bin/python benchmarks/<name>.py``.
"""

from __future__ import annotations

import cProfile
import gc
import io
import os
import platform
import pstats
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from spacehome.domain.elements import ElementSet
from spacehome.errors import ValidationError
from spacehome.orbit.elements import from_tle

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The shared catalog snapshot (never copied into the repository; see its README).
DEFAULT_CATALOG = REPO_ROOT.parent / "shared" / "data" / "catalog" / "satcat-2024-07.3le"

#: The China Space Station element set used by the pass and eclipse benchmarks.
CSS_NAME = "CSS (TIANHE)"
CSS_LINE1 = "1 48274U 21035A   26249.26095405  .00013514  00000+0  16863-3 0  9990"
CSS_LINE2 = "2 48274  41.4675 189.8186 0002350 260.0025 100.0548 15.59622579305827"
#: Start of the pass and eclipse windows (the CSS element set's epoch is 06:15 the same day).
CSS_START = datetime(2026, 9, 6, tzinfo=UTC)


def css() -> ElementSet:
    return from_tle(CSS_LINE1, CSS_LINE2, CSS_NAME)


def parse_utc(text: str) -> datetime:
    """``2026-09-06T00:00Z`` (or any ISO 8601 form) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- timing -------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds for one call of ``fn`` (garbage collected before, collector off during)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()
    return elapsed, result


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float]) -> str:
    """``min–max`` of the repetitions, for the table."""
    return f"{min(values):.3f}–{max(values):.3f}"


def profile(fn: Callable[[], Any], top: int = 20) -> str:
    """cProfile of one call: the ``top`` functions by cumulative and by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- output -------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header(title: str) -> None:
    """Title, date and machine facts, so a pasted output is self-describing."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("numpy", "scipy", "sgp4", "skyfield")
    )
    print(title)
    print(f"  run       {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}")
    print(f"  machine   {cpu_model()}, {cores} cores usable (nproc), {platform.machine()}")
    print(f"  python    {platform.python_version()} ({versions})")
    print(f"  command   {' '.join([_interpreter(), *sys.argv])}")
    print()


def _interpreter() -> str:
    """The Python that runs this, relative to the working directory when inside it."""
    relative = os.path.relpath(sys.executable)
    return sys.executable if relative.startswith("..") else relative


def verdict(ok: bool, text: str) -> None:
    print()
    print(f"{'PASS' if ok else 'FAIL'}: {text}")


# --- the shared catalog -------------------------------------------------------------------


@dataclass
class Catalog:
    """Element sets read from a 3-line file, with what could not be read and why."""

    sets: list[ElementSet]
    records: int
    #: Records only readable with ``strict=False`` (spacehome's layout check refused them).
    lenient: Counter[str] = field(default_factory=Counter)
    #: Records that sgp4 itself cannot read (skipped).
    rejected: Counter[str] = field(default_factory=Counter)


def require_catalog(path: Path) -> Path:
    """The catalog path, or a clear message and exit status 2 if it is missing."""
    if not path.is_file():
        sys.stdout.flush()
        print(
            f"error: catalog not found at {path}\n"
            f"  The benchmarks read the shared snapshot from {DEFAULT_CATALOG}\n"
            "  (see its README); pass --catalog PATH to use another 3-line file.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return path


def load_catalog(path: Path) -> Catalog:
    """Every record of a 3-line (``0 NAME`` / line 1 / line 2) file as an ElementSet.

    Records that spacehome's strict TLE check refuses are retried with ``strict=False`` (sgp4
    alone reads them) and counted by the first reason; records sgp4 cannot read are skipped and
    counted. Nothing aborts the load.
    """
    text = path.read_text(encoding="ascii", errors="replace")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    catalog = Catalog(sets=[], records=0)
    i = 0
    while i < len(lines):
        if lines[i].startswith("1 ") and i + 1 < len(lines):  # 2-line record, no title
            name, l1, l2 = None, lines[i], lines[i + 1]
            i += 2
        elif i + 2 < len(lines):
            title = lines[i]
            name = title[2:] if title.startswith("0 ") else title
            l1, l2 = lines[i + 1], lines[i + 2]
            i += 3
        else:
            catalog.rejected["truncated record at the end of the file"] += 1
            break
        catalog.records += 1
        try:
            catalog.sets.append(from_tle(l1, l2, name))
            continue
        except ValidationError as exc:
            reason = str(exc).split(", which", 1)[0][:100]
        try:
            catalog.sets.append(from_tle(l1, l2, name, strict=False))
            catalog.lenient[reason] += 1
        except (ValidationError, ValueError) as exc:
            catalog.rejected[str(exc)[:100]] += 1
    return catalog


def describe_catalog(path: Path, catalog: Catalog) -> None:
    print(f"catalog   {path}: {catalog.records} records, {len(catalog.sets)} element sets")
    for reason, count in catalog.lenient.most_common():
        print(f"          {count} read with strict=False (spacehome's check: {reason})")
    for reason, count in catalog.rejected.most_common():
        print(f"          {count} skipped (sgp4 cannot read them: {reason})")
