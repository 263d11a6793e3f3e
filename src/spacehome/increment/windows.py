"""Interval arithmetic on ``[start, end)`` minute spans, shared by the generator and the builder."""

from __future__ import annotations

from collections.abc import Iterable

from spacehome.increment.scenario import Experiment, Scenario, Span, effective_window


def merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Sorted union; spans that overlap or touch become one; empty spans are dropped."""
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def complement(spans: Iterable[Span], horizon: int) -> tuple[Span, ...]:
    """The parts of ``[0, horizon)`` outside ``spans``."""
    out: list[Span] = []
    cursor = 0
    for a, b in merge(spans):
        if a > cursor:
            out.append((cursor, min(a, horizon)))
        cursor = max(cursor, b)
    if cursor < horizon:
        out.append((cursor, horizon))
    return tuple(s for s in out if s[1] > s[0])


def fitting(spans: Iterable[Span], start: int, end: int, length: int) -> tuple[Span, ...]:
    """``spans`` clipped to ``[start, end)``, keeping those that can hold ``length`` minutes."""
    out = []
    for a, b in spans:
        lo, hi = max(a, start), min(b, end)
        if hi - lo >= length:
            out.append((lo, hi))
    return tuple(out)


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def lighting_spans(scenario: Scenario, lighting: str) -> tuple[Span, ...] | None:
    """Where a run with this lighting need may lie (``None``: anywhere)."""
    if lighting == "sunlit":
        return complement(scenario.orbit.eclipses_min, scenario.horizon_min)
    if lighting == "eclipse":
        return scenario.orbit.umbra_min
    if lighting == "night":
        return scenario.orbit.night_min
    return None


def downlink_minutes(scenario: Scenario, experiment: Experiment) -> int:
    """Minutes to downlink one run's data at the scenario's rate (0: no data)."""
    rate = scenario.data.downlink_mbit_per_min
    return -(-experiment.data_mbit // rate) if experiment.data_mbit > 0 else 0


def run_windows(scenario: Scenario, experiment: Experiment, window: Span) -> tuple[Span, ...] | None:
    """Where the run step of one run may lie, by lighting (``None``: no lighting need)."""
    a, b = effective_window(scenario, experiment, window)
    spans = lighting_spans(scenario, experiment.lighting)
    if spans is None:
        return None
    return fitting(spans, a + experiment.setup_min, b - experiment.teardown_min, experiment.run_min)


def downlink_window(scenario: Scenario, experiment: Experiment, window: Span) -> Span:
    """``(release, deadline)`` of one run's downlink: after the earliest run end, by the deadline."""
    a, _ = effective_window(scenario, experiment, window)
    release = a + experiment.setup_min + experiment.run_min
    deadline = min(scenario.horizon_min, window[1] + experiment.downlink_within_min)
    return release, deadline


def downlink_windows(scenario: Scenario, experiment: Experiment, window: Span) -> tuple[Span, ...]:
    """Ground contacts that can hold one run's downlink between its release and deadline."""
    release, deadline = downlink_window(scenario, experiment, window)
    return fitting(scenario.orbit.contacts_min, release, deadline, downlink_minutes(scenario, experiment))
