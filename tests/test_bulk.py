"""The solver's bulk reads and writes against the one-variable-at-a-time way they replace.

The stager hints, reads solutions and sets objectives through arrays over the model's proto,
and template copies share the template's variable handles; the lottery numbers of a
tie-break objective are cut from the digest block as arrays. Each is checked here against
the plain per-variable computation (the code it replaced), on models built anew and on
template copies with rules dropped and relaxed, for the messy fixture and the bundled board.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from balancer.engine.load import prepare
from balancer.engine.model import BalanceModel, build_model, from_template, lean_template
from balancer.engine.problem import BalanceProblem
from balancer.engine.solve import Stager, _set_objective, gap_objectives, new_solver, solve
from balancer.explain.costs import relaxed_by_one
from balancer.spec import tickets as lottery

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [
    ROOT / "tests" / "data" / "messy" / "messy.yaml",
    ROOT / "scenarios" / "sounding-board.yaml",
]


@pytest.fixture(scope="module", params=SCENARIOS, ids=["messy", "sounding"])
def problem(request: pytest.FixtureRequest) -> BalanceProblem:
    problem, _ = prepare(request.param)
    return problem


def _domain_top(model: cp_model.CpModel, index: int) -> int:
    domain = model.proto.variables[index].domain
    return int(domain[len(domain) - 1])


def _hint_one_by_one(handles: BalanceModel, counts: Sequence[int]) -> dict[int, int]:
    """The hint the stager wrote before it wrote arrays: each variable on its own, a lean
    variable's top read from the model's own proto (a copy's, not the template's)."""
    hint: dict[int, int] = {}
    hinted = []
    for row, seats in zip(handles.picks, counts, strict=False):
        if handles.lean and row:
            hinted.append(min(seats, _domain_top(handles.model, row[0].index)))
            hint[row[0].index] = hinted[-1]
            continue
        hinted.append(min(seats, len(row)))
        for j, pick in enumerate(row):
            hint[pick.index] = 1 if j < seats else 0
    if handles.max_gap is not None:
        problem = handles.problem
        largest = 0
        for term, gap in zip(problem.targets, handles.gaps, strict=True):
            coefficient = int(term.weight * handles.scale)
            offset = int(term.weight * term.seats * handles.scale)
            matching = problem.profiles_matching({term.column: frozenset([term.value])})
            seats = sum(hinted[p] for p in matching if p < len(hinted))
            hint[gap.index] = abs(coefficient * seats - offset)
            largest = max(largest, hint[gap.index])
        hint[handles.max_gap.index] = largest
    return hint


def _models(problem: BalanceProblem, largest: int) -> list[BalanceModel]:
    """Models built anew and template copies (a rule dropped, a rule relaxed), lean and full."""
    lean, full = lean_template(problem), lean_template(problem, full=True)
    rules = problem.rules
    models = [build_model(problem, lean=True), build_model(problem, largest_gap=largest)]
    for rule in rules:
        dropped = [r for r in rules if r is not rule]
        relaxed = relaxed_by_one(rule)
        for kept in [dropped] + ([[*dropped, relaxed]] if relaxed is not None else []):
            for copy in (from_template(lean, kept), from_template(full, kept, largest)):
                if copy is not None:
                    models.append(copy)
    assert len(models) > 6  # template copies were made
    return models


def test_hints_equal_the_one_by_one_hints(problem: BalanceProblem) -> None:
    """On every kind of model, for the chosen board and for random seat counts (some above a
    profile's top, some rows left out), the bulk hint is the per-variable one."""
    chosen = solve(problem, workers=1)
    assert chosen.gap_values is not None
    rng = random.Random(4)
    for handles in _models(problem, chosen.gap_values[0]):
        randomly = [rng.randint(0, problem.board_size) for _ in chosen.counts]
        full = [problem.board_size] * len(chosen.counts)  # above every profile's top
        tries = [list(chosen.counts), randomly, randomly[: len(randomly) // 2], full]
        for counts in tries:
            Stager(handles, 1, None).hint(counts, gaps=True)
            hint = handles.model.proto.solution_hint
            got = list(zip(hint.vars, hint.values, strict=True))
            assert dict(got) == _hint_one_by_one(handles, counts)
            assert len({index for index, _ in got}) == len(got)  # no variable twice


def test_solutions_read_in_bulk_equal_the_solver_values(problem: BalanceProblem) -> None:
    """Seats per profile and the board's rows, read as arrays, are what ``solver.value`` of
    each pick says, on built models and on template copies (the template's handles)."""
    chosen = solve(problem, workers=1)
    assert chosen.gap_values is not None
    for handles in _models(problem, chosen.gap_values[0]):
        stager = Stager(handles, 1, None)
        solver = new_solver(1)
        handles.model.minimize(gap_objectives(handles)[0][0][1])
        assert solver.solve(handles.model) == cp_model.OPTIMAL
        stager.picked = np.asarray(solver.response_proto.solution)[handles.layout()[0]]
        counts = [sum(int(solver.value(v)) for v in row) for row in handles.picks]
        assert stager.counts() == counts
        rows = sorted(int(r) for p, k in enumerate(counts) for r in handles.order[p][:k])
        assert stager.chosen() == rows


def test_objectives_written_in_bulk_equal_minimize_and_maximize(problem: BalanceProblem) -> None:
    """The objective proto the stager writes is the one ``minimize``/``maximize`` write."""
    handles = build_model(problem)
    for objective in [handles.lottery_total(0), handles.max_gap, handles.total_gap()]:
        for sense in (1, -1):
            assert objective is not None
            reference = handles.model.clone()
            reference.minimize(objective) if sense > 0 else reference.maximize(objective)
            _set_objective(handles.model, objective, sense)
            mine, theirs = handles.model.proto.objective, reference.proto.objective
            assert list(mine.vars) == list(theirs.vars)
            assert list(mine.coeffs) == list(theirs.coeffs)
            assert (mine.offset, mine.scaling_factor) == (theirs.offset, theirs.scaling_factor)
    _set_objective(handles.model, None, 1)
    assert not handles.model.has_objective()


def test_lottery_numbers_are_each_tickets_slices(problem: BalanceProblem) -> None:
    """Every level's number, cut from the digest block as arrays, is the ticket's slice."""
    rows = np.arange(len(problem.ids))
    for level in range(lottery.LEVELS):
        numbers = problem.lottery_numbers(rows, level).tolist()
        assert numbers == [
            lottery.lottery_number(problem.ticket(r), level) for r in range(len(rows))
        ]
    handles = build_model(problem)
    expected = [
        lottery.lottery_number(problem.ticket(int(handles.order[p][j])), 2)
        for p, row in enumerate(handles.picks)
        for j in range(len(row))
    ]
    flat = cp_model.LinearExpr.weighted_sum(handles.all_picks(), expected)
    reference = handles.model.clone()
    reference.minimize(flat)
    handles.model.minimize(handles.lottery_total(2))
    assert list(handles.model.proto.objective.coeffs) == list(reference.proto.objective.coeffs)
