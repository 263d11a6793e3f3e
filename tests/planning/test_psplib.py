"""The PSPLIB .sm reader, on three hand-made instances whose optimum a brute force finds here."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehome.errors import ValidationError
from spacehome.planning.cpsat import CpSatSolver
from spacehome.planning.greedy import GreedySolver
from spacehome.planning.problem import (
    Assignment,
    Criterion,
    Demand,
    Effect,
    Precedence,
    Problem,
    Solution,
    Status,
)
from spacehome.planning.psplib import parse_sm, read_sm
from spacehome.planning.solver import SolveOptions
from spacehome.planning.validate import validate

DATA = Path(__file__).parent / "data"
INSTANCES = ["small6", "small8", "small7n"]


def brute_force(problem: Problem) -> tuple[int, list[Assignment]]:
    """The optimal makespan, by the serial schedule-generation scheme over every precedence-
    feasible job order (the active schedules, which hold an optimum), pruned by the best so far.

    Independent of the solvers: per-period usage arrays, nothing shared with spacehome's code.
    Nonrenewable requests (storages) do not depend on the schedule and are checked separately.
    """
    acts = list(problem.activities)
    index = {a.id: k for k, a in enumerate(acts)}
    names = [r.id for r in problem.resources]
    cap = [r.capacity for r in problem.resources]
    dur = [a.duration for a in acts]
    req = [[0] * len(names) for _ in acts]
    for k, a in enumerate(acts):
        for demand in a.demands:
            req[k][names.index(demand.options[0])] += demand.amount
    preds: list[list[int]] = [[] for _ in acts]
    for p in problem.precedences:
        preds[index[p.after]].append(index[p.before])
    horizon = sum(dur)
    use = [[0] * (horizon + 1) for _ in names]
    start: list[int | None] = [None] * len(acts)
    best: list[int] = [horizon + 1]
    best_starts: list[list[int]] = [[]]

    def fits(j: int, t: int) -> bool:
        return all(use[r][u] + req[j][r] <= cap[r] for r in range(len(names)) for u in range(t, t + dur[j]))

    def dfs(done: int, makespan: int) -> None:
        if makespan >= best[0]:
            return
        if done == len(acts):
            best[0] = makespan
            best_starts[0] = [s for s in start if s is not None]
            return
        for j in range(len(acts)):
            if start[j] is not None or any(start[p] is None for p in preds[j]):
                continue
            t = max((start[p] + dur[p] for p in preds[j]), default=0)  # type: ignore[operator]
            while not fits(j, t):
                t += 1
            start[j] = t
            for r in range(len(names)):
                for u in range(t, t + dur[j]):
                    use[r][u] += req[j][r]
            dfs(done + 1, max(makespan, t + dur[j]))
            for r in range(len(names)):
                for u in range(t, t + dur[j]):
                    use[r][u] -= req[j][r]
            start[j] = None

    dfs(0, 0)
    plan = [
        Assignment(a.id, s, s + a.duration, tuple(d.options[0] for d in a.demands))
        for a, s in zip(acts, best_starts[0], strict=True)
    ]
    return best[0], plan


#: Optimal makespans (from the brute force; small6 by hand too: a resource bound of 10 on R 1,
#: and no plan of 10 exists).
OPTIMUM = {"small6": 11, "small8": 20, "small7n": 15}


@pytest.fixture(scope="module", params=INSTANCES)
def instance(request: pytest.FixtureRequest) -> tuple[str, Problem]:
    name = request.param
    return name, read_sm(DATA / f"{name}.sm")


def test_the_reader_builds_the_problem_fields() -> None:
    p = read_sm(DATA / "small6.sm")
    assert p.name == "small6"
    assert p.horizon == 21
    assert p.time_unit == "period"
    assert [a.id for a in p.activities] == [f"j{k}" for k in range(1, 9)]
    assert [a.duration for a in p.activities] == [0, 3, 4, 2, 5, 3, 4, 0]
    assert all(not a.optional for a in p.activities)
    assert [(r.id, r.capacity) for r in p.resources] == [("R1", 4), ("R2", 3)]
    assert p.activity("j2").demands == (Demand(("R1",), 2), Demand(("R2",), 1))
    assert p.activity("j3").demands == (Demand(("R1",), 3),)  # zero requests are left out
    assert p.activity("j1").demands == ()
    assert p.activity("j8").demands == ()
    assert set(p.precedences) == {
        Precedence("j1", "j2"), Precedence("j1", "j3"), Precedence("j1", "j4"), Precedence("j2", "j5"),
        Precedence("j3", "j6"), Precedence("j4", "j6"), Precedence("j4", "j7"), Precedence("j5", "j8"),
        Precedence("j6", "j8"), Precedence("j7", "j8"),
    }
    assert dict(p.objective.weights) == {Criterion.MAKESPAN: 1}
    assert p.objective.lexicographic == ()
    assert p.storages == ()
    assert p.bundles == ()
    assert p.work_caps == ()


def test_nonrenewable_resources_become_storages_drained_at_start() -> None:
    p = read_sm(DATA / "small7n.sm")
    assert [r.id for r in p.resources] == ["R1", "R2"]
    (storage,) = p.storages
    assert (storage.id, storage.capacity, storage.initial) == ("N1", 12, 12)
    assert p.activity("j4").effects == (Effect("N1", -3, "start"),)
    assert p.activity("j5").effects == ()


TINY_DOUBLY = """\
jobs (incl. supersource/sink ):  3
horizon                       :  5
RESOURCES
  - renewable                 :  1   R
  - nonrenewable              :  0   N
  - doubly constrained        :  1   D
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          1           2
   2        1          1           3
   3        1          0
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  D 1
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     5       1    2
  3      1     0       0    0
RESOURCEAVAILABILITIES:
  R 1  D 1
    1    3
"""


def test_doubly_constrained_resources_are_both() -> None:
    p = parse_sm(TINY_DOUBLY, source="tiny.sm")
    assert [(r.id, r.capacity) for r in p.resources] == [("R1", 1), ("D1", 3)]
    assert [(s.id, s.capacity, s.initial) for s in p.storages] == [("D1", 3, 3)]
    assert p.activity("j2").demands == (Demand(("R1",), 1), Demand(("D1",), 2))
    assert p.activity("j2").effects == (Effect("D1", -2, "start"),)
    assert p.name == "tiny"


def test_brute_force_optimum(instance: tuple[str, Problem]) -> None:
    name, problem = instance
    makespan, plan = brute_force(problem)
    assert makespan == OPTIMUM[name]
    # the brute force's plan is a valid plan of that makespan (nonrenewables included)
    solution = Solution(Status.OPTIMAL, "brute", tuple(plan), objective=-float(makespan))
    assert validate(problem, solution) == []
    # and no better than simple lower bounds allow
    for r in problem.resources:
        work = sum(a.duration * d.amount for a in problem.activities for d in a.demands if d.options == (r.id,))
        assert makespan * r.capacity >= work


def test_greedy_plans_are_valid_and_no_better_than_the_optimum(instance: tuple[str, Problem]) -> None:
    name, problem = instance
    solution = GreedySolver().solve(problem)
    assert solution.status is Status.FEASIBLE
    assert validate(problem, solution, require_reasons=True) == []
    assert solution.objective is not None
    assert -solution.objective >= OPTIMUM[name]
    assert -solution.objective <= OPTIMUM[name] * 1.25  # a list scheduler is not far off here


def test_cpsat_reaches_the_optimum(instance: tuple[str, Problem]) -> None:
    name, problem = instance
    solution = CpSatSolver().solve(problem, SolveOptions(time_limit_s=20, workers=1))
    assert solution.status is Status.OPTIMAL
    assert validate(problem, solution) == []
    assert solution.objective == -OPTIMUM[name]


# -- errors ------------------------------------------------------------------------------------


def small6() -> str:
    return (DATA / "small6.sm").read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_missing_section() -> None:
    text = small6()
    start = text.index("PRECEDENCE RELATIONS:")
    end = text.index("REQUESTS/DURATIONS:")
    with pytest.raises(ValidationError, match=r"^x\.sm: no 'PRECEDENCE RELATIONS:' section; is this a PSPLIB"):
        parse_sm(text[:start] + text[end:], source="x.sm")
    with pytest.raises(ValidationError, match=r"no 'RESOURCEAVAILABILITIES:' section"):
        parse_sm(text[: text.index("RESOURCEAVAILABILITIES:")], source="x.sm")
    with pytest.raises(ValidationError, match=r"no 'horizon' line"):
        parse_sm(text.replace("horizon ", "horizn "), source="x.sm")
    with pytest.raises(ValidationError, match=r"no 'jobs \(incl"):
        parse_sm("", source="x.sm")


def test_wrong_successor_count_names_the_line() -> None:
    text = small6().replace("   4        1          2           6   7", "   4        1          3           6   7")
    n = line_of(text, "   4        1          3           6   7")
    with pytest.raises(ValidationError, match=rf"^x\.sm: line {n}: job 4 declares 3 successors but lists 2$"):
        parse_sm(text, source="x.sm")


def test_too_few_and_too_many_rows() -> None:
    text = small6()
    fewer = text.replace("  5      1     5       1    1\n", "")
    with pytest.raises(ValidationError, match=r"REQUESTS/DURATIONS section has 7 rows where 8 \(one per job\) were expected"):
        parse_sm(fewer, source="x.sm")
    more = text.replace("jobs (incl. supersource/sink ):  8", "jobs (incl. supersource/sink ):  7")
    with pytest.raises(ValidationError, match=r"PRECEDENCE RELATIONS section has more than 7 rows; the header says 7 jobs"):
        parse_sm(more, source="x.sm")


def test_non_integer_and_wrong_columns() -> None:
    text = small6().replace("  3      1     4       3    0", "  3      1     4.5     3    0")
    n = line_of(text, "4.5")
    with pytest.raises(ValidationError, match=rf"line {n}: expected an integer for the duration of job 3, found '4\.5'"):
        parse_sm(text, source="x.sm")
    text = small6().replace("  3      1     4       3    0", "  3      1     4       3")
    with pytest.raises(ValidationError, match=r"expected 5 numbers \(jobnr, mode, duration and 2 requests\), found 4"):
        parse_sm(text, source="x.sm")
    text = small6().replace("horizon                       :  21", "horizon                       :  lots")
    with pytest.raises(ValidationError, match=r"line 7: expected an integer for horizon, found 'lots'"):
        parse_sm(text, source="x.sm")


def test_availabilities_and_references() -> None:
    text = small6().replace("    4    3\n", "    4\n")
    with pytest.raises(ValidationError, match=r"expected 2 availabilities \(one per resource\), found 1"):
        parse_sm(text, source="x.sm")
    text = small6().replace("   7        1          1           8", "   7        1          1           9")
    with pytest.raises(ValidationError, match=r"job 7 has successor 9, outside 1\.\.8"):
        parse_sm(text, source="x.sm")
    text = small6().replace("   2        1          1           5", "   2        2          1           5")
    with pytest.raises(ValidationError, match=r"job 2 has 2 modes; only single-mode"):
        parse_sm(text, source="x.sm")
    text = small6().replace("   2        1          1           5", "   3        1          1           5")
    with pytest.raises(ValidationError, match=r"job 3 appears twice in PRECEDENCE RELATIONS"):
        parse_sm(text, source="x.sm")


def test_a_horizon_too_short_for_a_job_is_refused() -> None:
    text = small6().replace("horizon                       :  21", "horizon                       :  4")
    with pytest.raises(ValidationError, match=r"^x\.sm: activity 'j5': cannot fit"):
        parse_sm(text, source="x.sm")


def test_read_sm_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"no such PSPLIB file"):
        read_sm(tmp_path / "missing.sm")
    with pytest.raises(ValidationError, match=r"is a directory"):
        read_sm(tmp_path)
    binary = tmp_path / "binary.sm"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ValidationError, match=r"not UTF-8 text"):
        read_sm(binary)
    crlf = tmp_path / "crlf.sm"
    crlf.write_bytes(small6().replace("\n", "\r\n").encode())
    assert read_sm(crlf).activities == read_sm(DATA / "small6.sm").activities
