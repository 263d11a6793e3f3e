"""PSPLIB single-mode RCPSP instances (the ``.sm`` files of j30, j60, j90 and j120) as problems.

The format (Kolisch and Sprecher, PSPLIB) is plain text in sections separated by lines of
asterisks::

    projects                      :  1
    jobs (incl. supersource/sink ):  32
    horizon                       :  158
    RESOURCES
      - renewable                 :  4   R
      - nonrenewable              :  0   N
      - doubly constrained        :  0   D
    PROJECT INFORMATION:
    pronr.  #jobs rel.date duedate tardcost  MPM-Time
        1     30      0       38       26       38
    PRECEDENCE RELATIONS:
    jobnr.    #modes  #successors   successors
       1        1          3           2   3   4
       ...
    REQUESTS/DURATIONS:
    jobnr. mode duration  R 1  R 2  R 3  R 4
    ------------------------------------------------------------------------
      1      1     0       0    0    0    0
       ...
    RESOURCEAVAILABILITIES:
      R 1  R 2  R 3  R 4
       12   13    4   12

The problem has ``time_unit`` ``"period"``, the file's horizon, one mandatory activity per job
(``j1`` … ``jN``, the zero-duration supersource and supersink included), one resource per
renewable resource (``R1`` …) with its availability as capacity, a demand for every non-zero
request, a precedence (lag 0) per successor, and the objective ``{makespan: 1}``. A
nonrenewable resource (``N1`` …) becomes a storage that starts full at its availability and
that each job drains by its request when it starts; a doubly constrained one (``D1`` …) is both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spacehome.errors import ValidationError
from spacehome.planning.files import check_problem
from spacehome.planning.problem import (
    Activity,
    Criterion,
    Demand,
    Effect,
    Objective,
    Precedence,
    Problem,
    Resource,
    Storage,
)

#: Largest .sm file read (the biggest PSPLIB single-mode files are a few tens of kilobytes).
MAX_BYTES = 20_000_000

_SEPARATOR = re.compile(r"^\s*(\*+|-+)\s*$")


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = [_Line(n, raw.rstrip()) for n, raw in enumerate(text.splitlines(), start=1)]

    def fail(self, line: _Line | None, message: str) -> ValidationError:
        where = f"line {line.number}: " if line is not None else ""
        return ValidationError(f"{self.source}: {where}{message}")

    def find(self, pattern: str, what: str, start: int = 0) -> int:
        """Index of the first line from ``start`` matching ``pattern`` (case-insensitive)."""
        regex = re.compile(pattern, re.IGNORECASE)
        for k in range(start, len(self.lines)):
            if regex.search(self.lines[k].text):
                return k
        raise self.fail(None, f"no {what}; is this a PSPLIB single-mode .sm file?")

    def header_int(self, pattern: str, what: str) -> tuple[int, _Line]:
        """The integer after the colon on the header line matching ``pattern``."""
        line = self.lines[self.find(pattern, f"'{what}' line")]
        _, _, rest = line.text.partition(":")
        fields = rest.split()
        if not fields:
            raise self.fail(line, f"expected a number after '{what}:', found nothing")
        return self.integer(line, fields[0], what), line

    def integer(self, line: _Line, text: str, what: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise self.fail(line, f"expected an integer for {what}, found '{text}'") from None
        if value < 0:
            raise self.fail(line, f"{what} is {value}; it must not be negative")
        return value

    def rows(self, start: int, count: int, what: str) -> list[tuple[_Line, list[str]]]:
        """The ``count`` data rows after line index ``start`` (skipping blank and dashed lines)."""
        out: list[tuple[_Line, list[str]]] = []
        k = start + 1
        while len(out) < count:
            if k >= len(self.lines):
                last = self.lines[-1] if self.lines else None
                raise self.fail(last, f"the {what} section ends after {len(out)} rows; expected {count} (one per job)")
            line = self.lines[k]
            k += 1
            if not line.text.strip() or (_SEPARATOR.match(line.text) and line.text.strip()[0] == "-"):
                continue
            if _SEPARATOR.match(line.text) or not line.text.split()[0].lstrip("-").isdigit():
                raise self.fail(
                    line,
                    f"the {what} section has {len(out)} rows where {count} (one per job) were expected; "
                    f"found '{line.text.strip()[:40]}'",
                )
            out.append((line, line.text.split()))
        # the next non-blank line must end the section
        while k < len(self.lines) and not self.lines[k].text.strip():
            k += 1
        if k < len(self.lines):
            line = self.lines[k]
            fields = line.text.split()
            if not _SEPARATOR.match(line.text) and fields and fields[0].isdigit():
                raise self.fail(line, f"the {what} section has more than {count} rows; the header says {count} jobs")
        return out


def parse_sm(text: str, source: str = "psplib") -> Problem:
    """A :class:`Problem` from the text of a PSPLIB single-mode ``.sm`` file.

    Errors (:class:`~spacehome.errors.ValidationError`) name ``source``, the line and what was
    expected there.
    """
    r = _Reader(text, source)
    jobs, jobs_line = r.header_int(r"^\s*jobs\b", "jobs (incl. supersource/sink )")
    if jobs < 1:
        raise r.fail(jobs_line, "the file declares 0 jobs; a project has at least one job")
    horizon, horizon_line = r.header_int(r"^\s*horizon\b", "horizon")
    if horizon < 1:
        raise r.fail(horizon_line, f"horizon is {horizon}; it must be a positive number of periods")
    renewable, _ = r.header_int(r"^\s*-\s*renewable\b", "- renewable")
    nonrenewable, _ = r.header_int(r"^\s*-\s*nonrenewable\b", "- nonrenewable")
    doubly, _ = r.header_int(r"^\s*-\s*doubly constrained\b", "- doubly constrained")
    kinds = ["R"] * renewable + ["N"] * nonrenewable + ["D"] * doubly
    names = (
        [f"R{k}" for k in range(1, renewable + 1)]
        + [f"N{k}" for k in range(1, nonrenewable + 1)]
        + [f"D{k}" for k in range(1, doubly + 1)]
    )

    # PRECEDENCE RELATIONS: jobnr, #modes, #successors, successors...
    prec_at = r.find(r"^\s*PRECEDENCE RELATIONS", "'PRECEDENCE RELATIONS:' section")
    head = r.find(r"^\s*jobnr", "'jobnr.' header line in the PRECEDENCE RELATIONS section", prec_at)
    successors: dict[int, list[int]] = {}
    succ_lines: dict[int, _Line] = {}
    for line, fields in r.rows(head, jobs, "PRECEDENCE RELATIONS"):
        if len(fields) < 3:
            raise r.fail(line, f"expected 'jobnr #modes #successors successors…', found '{line.text.strip()}'")
        job = r.integer(line, fields[0], "the job number")
        modes = r.integer(line, fields[1], "#modes")
        count = r.integer(line, fields[2], "#successors")
        if modes != 1:
            raise r.fail(line, f"job {job} has {modes} modes; only single-mode (.sm) instances are read, with 1 mode per job")
        listed = [r.integer(line, f, f"a successor of job {job}") for f in fields[3:]]
        if len(listed) != count:
            raise r.fail(line, f"job {job} declares {count} successors but lists {len(listed)}")
        if job in successors:
            raise r.fail(line, f"job {job} appears twice in PRECEDENCE RELATIONS; list each job once")
        if not 1 <= job <= jobs:
            raise r.fail(line, f"job number {job} is outside 1..{jobs} (the header declares {jobs} jobs)")
        successors[job] = listed
        succ_lines[job] = line
    for job, listed in successors.items():
        for s in listed:
            if not 1 <= s <= jobs:
                raise r.fail(succ_lines[job], f"job {job} has successor {s}, outside 1..{jobs}")
            if s == job:
                raise r.fail(succ_lines[job], f"job {job} lists itself as a successor")

    # REQUESTS/DURATIONS: jobnr, mode, duration, one request per resource
    req_at = r.find(r"^\s*REQUESTS/DURATIONS", "'REQUESTS/DURATIONS:' section")
    head = r.find(r"^\s*jobnr", "'jobnr.' header line in the REQUESTS/DURATIONS section", req_at)
    width = 3 + len(kinds)
    durations: dict[int, int] = {}
    requests: dict[int, list[int]] = {}
    for line, fields in r.rows(head, jobs, "REQUESTS/DURATIONS"):
        if len(fields) != width:
            raise r.fail(
                line,
                f"expected {width} numbers (jobnr, mode, duration and {len(kinds)} requests), found {len(fields)}",
            )
        job = r.integer(line, fields[0], "the job number")
        mode = r.integer(line, fields[1], "the mode")
        if mode != 1:
            raise r.fail(line, f"job {job} has mode {mode}; a single-mode file has mode 1 only")
        if job in durations:
            raise r.fail(line, f"job {job} appears twice in REQUESTS/DURATIONS; list each job once")
        if not 1 <= job <= jobs:
            raise r.fail(line, f"job number {job} is outside 1..{jobs} (the header declares {jobs} jobs)")
        durations[job] = r.integer(line, fields[2], f"the duration of job {job}")
        requests[job] = [r.integer(line, f, f"a request of job {job}") for f in fields[3:]]

    # RESOURCEAVAILABILITIES: a header line of names, then one line of numbers
    avail_at = r.find(r"^\s*RESOURCEAVAILABILITIES", "'RESOURCEAVAILABILITIES:' section")
    head = avail_at
    if kinds:
        head = r.find(r"\S", "resource names line after 'RESOURCEAVAILABILITIES:'", avail_at + 1)
        if not re.match(r"^\s*[A-Za-z]", r.lines[head].text):
            raise r.fail(r.lines[head], f"expected the resource names ({' '.join(names)}), found '{r.lines[head].text.strip()[:40]}'")
    rows = r.rows(head, 1, "RESOURCEAVAILABILITIES") if kinds else []
    availability: list[int] = []
    if rows:
        line, fields = rows[0]
        if len(fields) != len(kinds):
            raise r.fail(line, f"expected {len(kinds)} availabilities (one per resource), found {len(fields)}")
        availability = [r.integer(line, f, f"the availability of {names[k]}") for k, f in enumerate(fields)]

    missing = [j for j in range(1, jobs + 1) if j not in successors]
    if missing:
        raise r.fail(None, f"job {missing[0]} has no row in PRECEDENCE RELATIONS; list every job 1..{jobs}")
    missing = [j for j in range(1, jobs + 1) if j not in durations]
    if missing:
        raise r.fail(None, f"job {missing[0]} has no row in REQUESTS/DURATIONS; list every job 1..{jobs}")

    resources = tuple(
        Resource(names[k], availability[k], label=f"{kinds[k]} {names[k][1:]}")
        for k in range(len(kinds))
        if kinds[k] in ("R", "D")
    )
    storages = tuple(
        Storage(names[k], availability[k], availability[k], label=f"{kinds[k]} {names[k][1:]}")
        for k in range(len(kinds))
        if kinds[k] in ("N", "D")
    )
    activities = []
    for job in range(1, jobs + 1):
        req = requests[job]
        demands = tuple(Demand((names[k],), req[k]) for k in range(len(kinds)) if kinds[k] in ("R", "D") and req[k] > 0)
        effects = tuple(
            Effect(names[k], -req[k], "start") for k in range(len(kinds)) if kinds[k] in ("N", "D") and req[k] > 0
        )
        activities.append(
            Activity(id=f"j{job}", duration=durations[job], demands=demands, effects=effects, label=f"job {job}")
        )
    precedences = tuple(
        Precedence(f"j{job}", f"j{s}") for job in range(1, jobs + 1) for s in successors[job]
    )
    problem = Problem(
        name=Path(source).stem or "psplib",
        horizon=horizon,
        time_unit="period",
        activities=tuple(activities),
        resources=resources,
        storages=storages,
        precedences=precedences,
        objective=Objective(weights={Criterion.MAKESPAN: 1}),
    )
    check_problem(problem, source=source)
    return problem


def read_sm(path: Path | str) -> Problem:
    """A :class:`Problem` from a PSPLIB single-mode ``.sm`` file (see :func:`parse_sm`)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such PSPLIB file; check the path") from None
    if path.is_dir():
        raise ValidationError(f"{path} is a directory; give a PSPLIB .sm file")
    if size > MAX_BYTES:
        raise ValidationError(f"{path}: {size} bytes is larger than the {MAX_BYTES}-byte limit for a PSPLIB file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not UTF-8 text; a PSPLIB .sm file is plain text") from None
    return parse_sm(text, source=str(path))
