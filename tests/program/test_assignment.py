"""Reviewer assignment: never conflicted, within capacity, optimally balanced, honest refusals."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence

import pytest

from spacehome.errors import ValidationError
from spacehome.program.assignment import (
    Proposal,
    Reviewer,
    assign_reviewers,
    conflicted,
)

COUNTRIES = ("FR", "KE", "BR", "NP", "CN", "PE", "DE", "HT")
INSTITUTIONS = ("Uni A", "Uni B", "Lab C", "Inst D", "Agency E", "Obs F")


def _random(rng: random.Random, n_r: int, n_p: int) -> tuple[list[Reviewer], list[Proposal]]:
    proposals = [
        Proposal(
            f"p{k}",
            tuple(rng.sample(INSTITUTIONS, rng.randint(1, 2))),
            tuple(rng.sample(COUNTRIES, rng.randint(1, 2))),
        )
        for k in range(n_p)
    ]
    reviewers = []
    for j in range(n_r):
        declared: list[str] = []
        if rng.random() < 0.3:
            declared.append(f"p{rng.randrange(n_p)}")
        if rng.random() < 0.2:
            declared.append(rng.choice(INSTITUTIONS).upper())  # case does not matter
        reviewers.append(
            Reviewer(
                f"r{j}",
                rng.choice(INSTITUTIONS),
                rng.choice(COUNTRIES),
                tuple(declared),
                rng.randint(1, 4),
            )
        )
    return reviewers, proposals


def test_conflicts_of_interest() -> None:
    p = Proposal("p7", ("Uni A", "Lab C"), ("FR", "KE"))
    assert conflicted(Reviewer("r", "uni a ", "DE"), p)  # same institution
    assert conflicted(Reviewer("r", "Obs F", "KE"), p)  # same country as a partner
    assert conflicted(Reviewer("r", "Obs F", "DE", ("p7",)), p)  # declared: the proposal
    assert conflicted(Reviewer("r", "Obs F", "DE", ("LAB C",)), p)  # declared: an institution
    assert not conflicted(Reviewer("r", "Obs F", "DE", ("p8", "Uni B")), p)


def test_random_instances_never_conflicted_and_within_capacity() -> None:
    rng = random.Random(11)
    solved = 0
    messages: list[str] = []
    for _ in range(40):
        reviewers, proposals = _random(rng, rng.randint(4, 12), rng.randint(1, 8))
        per = rng.randint(1, 3)
        try:
            result = assign_reviewers(reviewers, proposals, per_proposal=per, seed=2)
        except ValidationError as exc:
            messages.append(str(exc))
            continue
        solved += 1
        by_id = {r.id: r for r in reviewers}
        load: Counter[str] = Counter()
        for p in proposals:
            chosen = result.reviewers[p.id]
            assert len(chosen) == per == len(set(chosen))
            for rid in chosen:
                assert not conflicted(by_id[rid], p)
                load[rid] += 1
        for r in reviewers:
            assert load[r.id] == result.load[r.id] <= r.capacity
        assert result.max_load == max(result.load.values())
    assert solved >= 10
    for message in messages:  # refusals are one line and say what to do
        assert "\n" not in message
        assert message.endswith("add reviewers from other countries")


def _brute(
    reviewers: Sequence[Reviewer], proposals: Sequence[Proposal], per: int
) -> tuple[int, int] | None:
    """(min max load, then min sum of squares) over every valid assignment, or None."""
    options = [
        list(
            itertools.combinations(
                [j for j, r in enumerate(reviewers) if not conflicted(r, p)], per
            )
        )
        for p in proposals
    ]
    best: tuple[int, int] | None = None
    for combo in itertools.product(*options):
        load = Counter(j for group in combo for j in group)
        if any(load[j] > r.capacity for j, r in enumerate(reviewers)):
            continue
        loads = [load[j] for j in range(len(reviewers))]
        key = (max(loads), sum(v * v for v in loads))
        best = key if best is None or key < best else best
    return best


def test_balance_is_optimal_against_brute_force() -> None:
    rng = random.Random(5)
    compared = 0
    for _ in range(30):
        reviewers, proposals = _random(rng, rng.randint(3, 6), rng.randint(1, 4))
        per = rng.randint(1, 2)
        expected = _brute(reviewers, proposals, per)
        if expected is None:
            with pytest.raises(ValidationError):
                assign_reviewers(reviewers, proposals, per_proposal=per)
            continue
        result = assign_reviewers(reviewers, proposals, per_proposal=per)
        assert result.status == "OPTIMAL"
        assert (result.max_load, result.sum_squares) == expected
        compared += 1
    assert compared >= 10


def test_too_few_reviewers_without_conflict_names_the_proposal() -> None:
    reviewers = [
        Reviewer("a", "Uni A", "FR", capacity=5),
        Reviewer("b", "Uni B", "DE", capacity=5),
        Reviewer("c", "Lab C", "KE", capacity=5),
    ]
    proposals = [Proposal("p1", ("Obs F",), ("BR",)), Proposal("p7", ("Obs F",), ("KE",))]
    with pytest.raises(ValidationError) as info:
        assign_reviewers(reviewers, proposals, per_proposal=3)
    assert str(info.value) == (
        "proposal p7 has only 2 reviewers without a conflict of interest; 3 are needed: "
        "add reviewers from other countries"
    )


def test_capacity_shortfall_names_the_proposals_and_reviewers() -> None:
    reviewers = [Reviewer(r, f"Inst {r}", "FR", capacity=1) for r in ("a", "b", "c")]
    reviewers.append(Reviewer("d", "Inst d", "KE", capacity=9))
    proposals = [
        Proposal("p1", ("X",), ("KE",)),  # only a, b, c are free of conflict
        Proposal("p2", ("Y",), ("KE",)),
        Proposal("p3", ("Z",), ("BR",)),  # d gives it one review; it competes for the second
    ]
    with pytest.raises(ValidationError) as info:
        assign_reviewers(reviewers, proposals, per_proposal=2)
    assert str(info.value) == (
        "proposals p1, p2, p3 need 6 reviews but their reviewers without a conflict of interest "
        "can give them only 4: raise the capacity of a, b, c or add reviewers from other "
        "countries"
    )


def test_deterministic() -> None:
    reviewers, proposals = _random(random.Random(3), 12, 8)
    first = assign_reviewers(reviewers, proposals, per_proposal=2, seed=4)
    assert first == assign_reviewers(reviewers, proposals, per_proposal=2, seed=4)


def test_bad_input() -> None:
    r = [Reviewer("a", "A", "FR"), Reviewer("a", "B", "DE")]
    with pytest.raises(ValidationError, match="used twice"):
        assign_reviewers(r, [], per_proposal=1)
    with pytest.raises(ValidationError, match="per_proposal"):
        assign_reviewers(r[:1], [], per_proposal=0)
