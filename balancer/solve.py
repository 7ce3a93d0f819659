"""Lexicographic solving: largest gap, then total gap, then the tie-break, then a uniqueness proof.

Each stage optimises one objective and then fixes it at its optimum for the next, so a later
objective can never buy an improvement with an earlier one. The stages' optimal values do not
depend on how the search went; the final roster does not either, because the last stage proves
that no other board has the same lottery total (if one had, the next lottery level would
decide). That is what makes the result identical for any worker count and machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ortools.sat.python import cp_model

from balancer import lottery
from balancer.constraints import Rule
from balancer.model import BalanceModel, LinearExpr, Patch, build_model
from balancer.problem import BalanceProblem

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass(frozen=True)
class Stage:
    """One solver call: what it optimised, how it ended, the value it fixed, and its time."""

    name: str
    status: str
    value: int | None
    seconds: float


@dataclass
class Solution:
    """The chosen board as pool row positions, with how it was proven."""

    status: Status
    rows: list[int]
    counts: list[int] = field(default_factory=list)  # seats per profile
    gap_values: tuple[int, int] | None = None  # (largest, total) gap, scaled by the model
    stages: list[Stage] = field(default_factory=list)
    unique: bool | None = None
    workers: int = 1
    seconds: float = 0.0
    build_seconds: float = 0.0

    @property
    def proven_optimal(self) -> bool:
        return self.status == "optimal"


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class _Stager:
    """Runs the stages on one model, carrying each solution forward as a hint."""

    def __init__(
        self,
        handles: BalanceModel,
        workers: int,
        time_limit: float | None,
        presolve: bool = True,
    ) -> None:
        self.handles = handles
        self.workers = workers
        self.presolve = presolve
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit
        self.stages: list[Stage] = []
        self.values: dict[int, int] = {}

    def _solver(self) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.workers
        solver.parameters.random_seed = 0
        # The gap objectives need a strong LP relaxation: level 2 proves small optima in a
        # fraction of the conflicts level 1 needs (measured on the bundled scenario).
        solver.parameters.linearization_level = 2
        solver.parameters.cp_model_presolve = self.presolve
        if self.deadline is not None:
            solver.parameters.max_time_in_seconds = max(0.01, self.deadline - time.perf_counter())
        return solver

    def run(self, name: str, objective: LinearExpr | None, sense: int = 1) -> Any:
        """Solve once; returns the CP-SAT status and remembers the solution as the next hint."""
        model = self.handles.model
        model.clear_objective()  # type: ignore[no-untyped-call]
        if objective is not None:
            if sense > 0:
                model.minimize(objective)
            else:
                model.maximize(objective)
        solver = self._solver()
        started = time.perf_counter()
        status = solver.solve(model)
        value = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # The stage's value is evaluated on the integer solution: objective_value is a
            # double and loses the last digits of large exact objectives.
            value = int(solver.value(objective)) if objective is not None else None
            picks = self.handles.all_picks()
            self.values = {v.index: int(solver.value(v)) for v in picks}
            model.clear_hints()  # type: ignore[no-untyped-call]
            for v in picks:
                model.add_hint(v, self.values[v.index])
        self.stages.append(
            Stage(name, solver.status_name(status), value, time.perf_counter() - started)
        )
        return status

    def fix(self, objective: LinearExpr) -> None:
        value = self.stages[-1].value
        assert value is not None
        self.handles.model.add(objective == value)

    def counts(self) -> list[int]:
        return [sum(self.values[v.index] for v in row) for row in self.handles.picks]

    def chosen(self) -> list[int]:
        rows: list[int] = []
        problem = self.handles.problem
        for p, seats in enumerate(self.counts()):
            rows.extend(int(r) for r in problem.profiles[p].members[:seats])
        return sorted(rows)

    def hint(self, counts: Sequence[int]) -> None:
        """Start from a known board (the main solution when asking a what-if)."""
        model = self.handles.model
        for row, seats in zip(self.handles.picks, counts, strict=False):
            for j, pick in enumerate(row):
                model.add_hint(pick, 1 if j < seats else 0)

    def is_unique(self) -> bool | None:
        """Does any other board reach every fixed optimum? Solved with a no-good cut."""
        model = self.handles.model
        chosen = [v for v in self.handles.all_picks() if self.values[v.index]]
        check = model.new_bool_var("uniqueness_check")
        model.add(sum(chosen, cp_model.LinearExpr.constant(0)) <= len(chosen) - 1).only_enforce_if(
            check
        )
        model.clear_assumptions()
        model.add_assumptions([check])
        saved = self.values
        status = self.run("uniqueness", None)
        self.values = saved
        model.clear_assumptions()
        model.add(check == 0)
        if status == cp_model.INFEASIBLE:
            return True
        if status == cp_model.FEASIBLE or status == cp_model.OPTIMAL:
            return False
        return None


def solve(
    problem: BalanceProblem,
    *,
    workers: int | None = None,
    time_limit: float | None = None,
    rules: Sequence[Rule] | None = None,
    patch: Patch | None = None,
    balance_only: bool = False,
    hint: Sequence[int] | None = None,
    max_gap_at_most: int | None = None,
    presolve: bool = True,
) -> Solution:
    """Find the lexicographically best board and prove it is the only one.

    ``rules`` and ``patch`` ask what-if questions (a rule relaxed, a member out); with
    ``balance_only`` the tie-break is skipped, since only the gaps are wanted. What-ifs start
    from the chosen board as a ``hint`` and run without presolve, which on small changes costs
    more than it saves (2-4x faster on the bundled and benchmark scenarios).
    """
    workers = workers or default_workers()
    started = time.perf_counter()
    handles = build_model(problem, rules=rules, patch=patch)
    built = time.perf_counter()
    stager = _Stager(handles, workers, time_limit, presolve)
    if hint is not None:
        stager.hint(hint)
    if max_gap_at_most is not None and handles.max_gap is not None:
        handles.model.add(handles.max_gap <= max_gap_at_most)

    objectives: list[tuple[str, Callable[[], LinearExpr], int]] = []
    # Largest gap first, then total gap: one solve of (largest x K + total) when K, one more
    # than the greatest possible total, keeps the numbers within 64 bits; else two solves.
    combined = 0
    if handles.max_gap is not None:
        max_gap = handles.max_gap
        combined = sum(handles.gap_bounds) + 1
        if combined * max(handles.gap_bounds) < 2**62:
            both = cp_model.LinearExpr.weighted_sum(
                [max_gap, *handles.gaps], [combined] + [1] * len(handles.gaps)
            )
            objectives.append(("gaps", lambda: both, 1))
        else:
            combined = 0
            objectives.append(("largest gap", lambda: max_gap, 1))
            objectives.append(("total gap", handles.total_gap, 1))
    if problem.score_column is not None:
        objectives.append(("score", handles.score_total, -1))

    def finish(status: Status, unique: bool | None = None) -> Solution:
        rows = stager.chosen() if stager.values else []
        values = {stage.name: stage.value for stage in stager.stages}
        gaps = None
        if handles.max_gap is not None and status in {"optimal", "feasible"}:
            if combined:
                gaps = divmod(values.get("gaps") or 0, combined)
            else:
                gaps = (values.get("largest gap") or 0, values.get("total gap") or 0)
        return Solution(
            status=status,
            rows=rows,
            counts=stager.counts() if stager.values else [],
            gap_values=gaps,
            stages=stager.stages,
            unique=unique,
            workers=workers,
            seconds=time.perf_counter() - built,
            build_seconds=built - started,
        )

    for name, make, sense in objectives:
        objective = make()
        status = stager.run(name, objective, sense)
        if status == cp_model.INFEASIBLE:
            return finish("infeasible")
        if status != cp_model.OPTIMAL:
            return finish("feasible" if stager.values else "unknown")
        stager.fix(objective)
    if balance_only:
        if not objectives:
            status = stager.run("feasibility", None)
            if status == cp_model.INFEASIBLE:
                return finish("infeasible")
        return finish("optimal")

    for level in range(lottery.LEVELS):
        objective = handles.lottery_total(level)
        status = stager.run(f"lottery {level + 1}", objective, 1)
        if status == cp_model.INFEASIBLE:
            return finish("infeasible")
        if status != cp_model.OPTIMAL:
            return finish("feasible" if stager.values else "unknown")
        stager.fix(objective)
        unique = stager.is_unique()
        if unique is not False:
            return finish("optimal", unique)
    return finish("optimal", False)
