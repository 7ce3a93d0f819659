"""Bounded work: the explanation within a deterministic budget, and what it did not reach said.

A budget too small for the whole explanation must leave every rule and member either with the
answer the unbounded explanation gives, or marked "not computed" with a reason: never a
different answer. The same budget gives the same explanation on every run (it is counted in
CP-SAT's deterministic time, not in seconds). Checked on the messy convener fixture with a
quota made binding.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

import balancer
from balancer import explain
from balancer.engine.model import build_model
from balancer.engine.solve import Stager, new_solver
from balancer.explain.budget import WORK_FACTOR, WORK_PER_CELL, Budget
from balancer.selection.run import Result

INPUTS = Path(__file__).parent / "data" / "inputs"


def _binding_world(tmp_path: Path) -> Path:
    shutil.copy(INPUTS / "world-pool.csv", tmp_path / "world-pool.csv")
    text = (INPUTS / "world.yaml").read_text("utf-8")
    text = text.replace(
        "Western European and Others: {min: 1, max: 2}",
        "Western European and Others: {min: 2, max: 2}",
    )
    path = tmp_path / "world.yaml"
    path.write_text(text, "utf-8")
    return path


def _explained(result: Result, budget: Budget) -> explain.Explanation:
    return explain.explain(
        result.problem, result.solution, result.report.constraints, budget=budget
    )


def test_a_short_budget_leaves_answers_right_or_not_computed(tmp_path: Path) -> None:
    result = balancer.select(_binding_world(tmp_path), workers=1, explain_board=False)
    full = _explained(result, Budget.unlimited(1))
    assert any(r.status == "binding" for r in full.rules) and not full.not_computed
    truth = {r.id: r.status for r in full.rules}
    reasons = {m.id: m.reason for m in full.members}
    for questions in (0, 1, 2, 3, 5):
        budget = Budget(work=float("inf"), questions=questions, threads=1)
        short = _explained(result, budget)
        assert short.not_computed, questions
        for rule in short.rules:
            assert rule.status in (truth[rule.id], "not computed")
            if rule.status == "not computed":
                assert "not computed" in rule.sentence
        for member in short.members:
            assert member.reason in (reasons[member.id], "not computed")
    nothing = _explained(result, Budget(work=float("inf"), questions=0, threads=1))
    assert all(
        r.status in ("not computed", "slack", "tight, no cost", "pool-limited")
        or truth[r.id] == r.status
        for r in nothing.rules
    )
    assert {m.reason for m in nothing.members} <= {"not computed", "tie-break", "required"}


def test_a_work_limit_is_deterministic_and_never_wrong(tmp_path: Path) -> None:
    result = balancer.select(_binding_world(tmp_path), workers=1, explain_board=False)
    truth = {r.id: r.status for r in _explained(result, Budget.unlimited(1)).rules}
    runs = []
    for _ in range(2):
        tiny = Budget(work=1e-6, questions=10**6, threads=2)
        runs.append(_explained(result, tiny))
    one, two = (r.model_dump(exclude={"seconds"}) for r in runs)
    assert one == two  # the same budget reaches the same point on every run
    assert runs[0].not_computed
    assert all(r.status in (truth[r.id], "not computed") for r in runs[0].rules)


def test_the_default_budget_explains_a_small_board_in_full(tmp_path: Path) -> None:
    report = balancer.select(_binding_world(tmp_path), workers=1).report
    assert report.explanation is not None
    assert report.explanation.not_computed == []
    assert report.explanation.work_budget is not None
    assert 0 < report.explanation.work <= report.explanation.work_budget
    assert all(r.status != "not computed" for r in report.explanation.rules)


def test_the_board_is_handed_out_before_the_explanation(tmp_path: Path) -> None:
    seen: list[Result] = []
    final = balancer.select(_binding_world(tmp_path), workers=1, on_board=seen.append)
    assert len(seen) == 1
    early = seen[0].report
    assert early.explanation is None  # handed out before the explanation ran
    assert early.roster == final.report.roster and early.constraints == final.report.constraints
    assert final.report.explanation is not None


@pytest.mark.parametrize("models", [0.5, 1.5, 3.5])
def test_model_building_is_charged_and_bounds_the_questions(tmp_path: Path, models: float) -> None:
    """Each what-if pays for its model before its search: a budget worth ``models`` models
    asks fewer questions than that, and what it cannot ask is "not computed", never wrong."""
    result = balancer.select(_binding_world(tmp_path), workers=1, explain_board=False)
    full = _explained(result, Budget.unlimited(1))
    truth = {r.id: r.status for r in full.rules}
    reasons = {m.id: m.reason for m in full.members}
    runs = []
    for _ in range(2):
        budget = Budget(work=models, questions=10**6, threads=2, per_model=1.0)
        runs.append(_explained(result, budget))
        assert budget.asked < models
    one, two = (r.model_dump(exclude={"seconds"}) for r in runs)
    assert one == two
    short = runs[0]
    assert short.not_computed
    assert short.work >= int(models)  # each question asked was charged its model
    assert all(r.status in (truth[r.id], "not computed") for r in short.rules)
    assert all(m.reason in (reasons[m.id], "not computed") for m in short.members)


def test_the_default_budget_charges_models_by_their_size(tmp_path: Path) -> None:
    """The charge is by the model's size: a seat count per profile, and a place for each
    profile in each rule it counts towards (counted here from the profiles' own values), and
    the main solve is counted the same way when the budget is set."""
    result = balancer.select(_binding_world(tmp_path), workers=1, explain_board=False)
    plain = Budget.for_problem(result.problem, result.solution)
    assert plain.per_model > 0
    problem = result.problem
    cells = len(problem.profiles) + sum(
        sum(1 for p in problem.profiles if all(p.values.get(c) in v for c, v in r.where.items()))
        for r in problem.rules
    )
    assert cells * WORK_PER_CELL <= plain.per_model * (1 + 1e-9)  # the targets add to it
    assert plain.work >= WORK_FACTOR * 2 * plain.per_model


def test_a_what_if_starts_from_the_chosen_board_in_full(tmp_path: Path) -> None:
    """The hint of a what-if is the chosen board: every seat count and every gap, a complete
    assignment that meets the model (an empty or partial hint sends CP-SAT searching for one
    before it starts). Checked by fixing every hinted variable to its hint and solving."""
    result = balancer.select(_binding_world(tmp_path), workers=1, explain_board=False)
    problem, solution = result.problem, result.solution
    handles = build_model(problem, lean=True)
    Stager(handles, 1, None).hint(solution.counts, gaps=True)
    proto = handles.model.proto
    hints = dict(zip(proto.solution_hint.vars, proto.solution_hint.values, strict=True))
    seats = [hints[row[0].index] if row else 0 for row in handles.picks]
    assert seats == solution.counts and sum(seats) == problem.board_size
    assert len(hints) == len(proto.variables)  # complete: the gaps are hinted too
    for index, value in hints.items():
        handles.model.add(handles.model.get_int_var_from_proto_index(index) == value)
    assert new_solver(1).solve(handles.model) == cp_model.OPTIMAL
