"""The selection order, in one driver: largest gap, total gap, score, lottery, uniqueness proof.

Each stage optimises one objective and then fixes it at its optimum for the next, so a later
objective can never buy an improvement with an earlier one. The stages' optimal values do not
depend on how the search went; the final roster does not either, because after each lottery
level the driver proves that no other board has the same totals (if one had, the next lottery
level decides). That is what makes the result identical for any worker count and machine.
Where a what-if only names a board for illustration (no uniqueness proof), the balance and
the first lottery level can be one objective instead of two stages, with the same order
(:func:`balance_then_lottery`).

Every command that chooses a board goes through :func:`solve`: ``select``, the what-ifs of
the explanations, the alternatives (with no-good cuts), ``replace`` and its least-bad option
(the seats of rule violation come first), and the audit's fixes (the fewest changes come
first). Those commands put their own objective *ahead of* the order through ``before``; they
never change the order itself, so every board balancer names is chosen by the same yardstick.

The only limit on a solve is the user's ``--time-limit`` (wall-clock, their explicit choice;
without it every solve runs to proof). Limits balancer sets itself are deterministic time
(``max_deterministic_time``), so no output depends on the machine's speed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model
from ortools.sat.python import cp_model_helper as cmh

from balancer.engine.model import (
    BalanceModel,
    LeanTemplate,
    LinearExpr,
    Patch,
    build_model,
    forbid_board,
    from_template,
)
from balancer.engine.problem import BalanceProblem
from balancer.spec import tickets as lottery
from balancer.spec.outcomes import SolveStatus
from balancer.spec.progress import SILENT, Progress
from balancer.spec.rules import Rule

Status = SolveStatus

Objective = tuple[str, LinearExpr]
"""A named objective, minimised."""

Extension = Callable[[BalanceModel], Sequence[Objective]]
"""Adds a command's own constraints to a built model and returns its objectives that come
before the selection order (minimised, in order). Called on every model a solve builds."""

_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
}


def status_of(code: Any) -> SolveStatus:
    """CP-SAT's status code as balancer's status: the one place the two are mapped."""
    return _STATUS.get(code, SolveStatus.UNKNOWN)


@dataclass(frozen=True)
class Stage:
    """One solver call: what it optimised, how it ended, the value it fixed, and its time."""

    name: str
    status: str
    value: int | None
    seconds: float
    work: float = 0.0  # CP-SAT's deterministic time: the same on every machine


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
    def work(self) -> float:
        """Deterministic time of every stage, summed: what budgets are counted in."""
        return sum(stage.work for stage in self.stages)


def new_solver(
    workers: int = 1,
    *,
    strong_lp: bool = True,
    presolve: bool = True,
    time_limit: float | None = None,
    work_limit: float | None = None,
    memory_mb: int | None = None,
    quick: bool = False,
    rounding_cuts: bool = True,
) -> cp_model.CpSolver:
    """A CP-SAT solver set up the way every balancer model wants it.

    A fixed random seed keeps runs repeatable. ``strong_lp`` (linearisation level 2) gives the
    gap objectives and switched rules the LP relaxation they need: it proves the bundled
    scenario's optimum in a fraction of the conflicts of level 1, and without it a conflict as
    plain as "6 women + 6 men > 11 seats" under assumptions can take minutes to prove.

    ``time_limit`` is wall-clock seconds and only ever the user's ``--time-limit``; a limit
    balancer sets itself is ``work_limit``, CP-SAT's deterministic time, which ends the search
    at the same point on every machine.

    ``quick`` is for solves whose answer is a proven optimum, not the board the search
    happened to find: small what-ifs (prices), a board the lottery decides (named boards), and
    the main solve's lottery and uniqueness stages, whose board is then proven the only one
    (:func:`tie_break`). The search path picks among equal boards, so answers that read the
    board found use it only where any of the equally balanced boards will do and one worker
    keeps the path repeatable (the member what-ifs, see ``explain.whatif.ask``). It sets:

    - ``hint_conflict_limit = 0``: a complete, feasible hint is only the first solution, with
      no search along it first. That search follows the hint one decision at a time with the
      LP at every step: on a 200-seat what-if it took about 0.25 s of a lottery stage whose
      own search then needed 0.05 s (the hint, the balance stage's board, is an arbitrary one
      of its balance, far from the lottery's optimum), and about a third of a lean what-if.
    - ``add_lp_constraints_lazily = False`` and ``cp_model_probing_level = 0``: every rule is
      in the LP from the start, and no probing at the root. On the 200-seat case (1,175
      profiles, 99 rules) these what-ifs are proven by LP bounds, and the two halved their
      deterministic time again (lean 0.66 -> 0.35, lottery stages 0.41 -> 0.10 units).

    ``rounding_cuts`` off (quick solves only) turns CP-SAT's mixed-integer rounding cuts off,
    for boards of :data:`ROUNDING_CUTS_BELOW` seats or more (see :class:`Stager`).
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    if strong_lp:
        solver.parameters.linearization_level = 2
    solver.parameters.cp_model_presolve = presolve
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = time_limit
    if work_limit is not None:
        solver.parameters.max_deterministic_time = work_limit
    if memory_mb is not None:  # a guard for optional what-ifs: the search stops, unfinished
        solver.parameters.max_memory_in_mb = memory_mb
    if quick:
        solver.parameters.hint_conflict_limit = 0
        solver.parameters.add_lp_constraints_lazily = False
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.add_mir_cuts = rounding_cuts
    return solver


ROUNDING_CUTS_BELOW = 40
"""Quick solves keep CP-SAT's mixed-integer rounding (MIR) cuts only for boards of fewer
seats. Where a few seats decide, the cuts are what proves a what-if's gaps: without them the
bundled 11-seat scenario's explanation took 6.5 times its CPU, boards of 16 and 24 seats about
twice theirs. With more seats the LP bound is tighter, and the separator's attempts cost CPU
for nothing (CP-SAT's log of one 200-seat what-if: the root LP's bound was the optimum, no cut
added, 65 attempts failed): without the cuts the explanation took 6-22% less CPU on each of
11 generated boards of 40 to 200 seats, with identical reports."""


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class Stager:
    """Runs the stages on one model, carrying each solution forward as a hint."""

    def __init__(
        self,
        handles: BalanceModel,
        workers: int,
        time_limit: float | None,
        presolve: bool = True,
        progress: Progress = SILENT,
        work_limit: float | None = None,
        memory_mb: int | None = None,
        quick: bool = False,
    ) -> None:
        self.handles = handles
        self.memory_mb = memory_mb
        self.quick = quick
        self.work_left = work_limit  # deterministic time left for the stages to come
        self.progress = progress
        self.planned: int | None = None  # stages expected, for the progress line
        self.workers = workers
        self.presolve = presolve
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit
        self.stages: list[Stage] = []
        # The value of every pick in the last solution (in the model's layout order), or None
        self.picked: np.ndarray | None = None

    def _solver(self) -> cp_model.CpSolver:
        remaining = None
        if self.deadline is not None:
            remaining = max(0.01, self.deadline - time.perf_counter())
        return new_solver(
            self.workers,
            presolve=self.presolve,
            time_limit=remaining,
            work_limit=None if self.work_left is None else max(0.0, self.work_left),
            memory_mb=self.memory_mb,
            quick=self.quick,
            rounding_cuts=self.handles.problem.board_size < ROUNDING_CUTS_BELOW,
        )

    def run(self, name: str, objective: LinearExpr | None, sense: int = 1) -> SolveStatus:
        """Solve once; returns how it ended and remembers the solution as the next hint."""
        model = self.handles.model
        _set_objective(model, objective, sense)
        solver = self._solver()
        self.progress.step("solve", len(self.stages), self._total(), name)
        started = time.perf_counter()
        code = solver.solve(model)
        status = status_of(code)
        value = None
        if status.has_board:
            # The stage's value is evaluated on the integer solution: objective_value is a
            # double and loses the last digits of large exact objectives.
            value = int(solver.value(objective)) if objective is not None else None
            # Read and hint in bulk: one value() and one add_hint() per pick cost about 10%
            # of an explanation's what-ifs on a 200-seat board (the same values and hints).
            indexes, _ = self.handles.layout()
            found = np.asarray(solver.response_proto.solution, np.int64)
            self.picked = found[indexes]
            _set_hint(model, indexes.tolist(), self.picked.tolist())
        work = float(solver.response_proto.deterministic_time)
        if self.work_left is not None:
            self.work_left -= work
        self.stages.append(
            Stage(name, solver.status_name(code), value, time.perf_counter() - started, work)
        )
        self.progress.step("solve", len(self.stages), self._total(), name)
        return status

    def _total(self) -> int | None:
        """Stages planned, grown when the lottery needs another level than first thought."""
        if self.planned is None:
            return None
        return max(self.planned, len(self.stages) + 1)

    def fix(self, objective: LinearExpr) -> None:
        value = self.stages[-1].value
        assert value is not None
        self.handles.model.add(objective == value)

    @property
    def has_board(self) -> bool:
        """Has a solve found a board (with at least one pick) to read?"""
        return self.picked is not None and len(self.picked) > 0

    def counts(self) -> list[int]:
        assert self.picked is not None
        seats: list[int] = self.handles.seats_per_profile(self.picked).tolist()
        return seats

    def chosen(self) -> list[int]:
        rows: list[int] = []
        if self.picked is None:
            return rows
        seats = self.handles.seats_per_profile(self.picked)
        for p in np.flatnonzero(seats).tolist():
            rows.extend(self.handles.order[p][: seats[p]].tolist())
        return sorted(rows)

    def solution(
        self,
        status: Status,
        gap_values: tuple[int, int] | None,
        started: float,
        built: float,
        unique: bool | None = None,
    ) -> Solution:
        """The answer so far: the board found (if any), its stages, and the time since the
        model was ``built`` (and building it took from ``started``)."""
        board = self.has_board
        return Solution(
            status=status,
            rows=self.chosen() if board else [],
            counts=self.counts() if board else [],
            gap_values=gap_values,
            stages=self.stages,
            unique=unique,
            workers=self.workers,
            seconds=time.perf_counter() - built,
            build_seconds=built - started,
        )

    def hint(self, counts: Sequence[int], *, gaps: bool = False) -> None:
        """Start from a known board (the main solution when asking a what-if).

        With ``gaps`` the gap variables are hinted too, at the values the board gives them.
        A hint of the seats alone is incomplete, and CP-SAT then searches for the rest before
        its own search: about 0.11 s of a 0.17 s what-if on a 200-seat board of 1,175
        profiles, spent again by every what-if of an explanation.
        """
        handles = self.handles
        layout, starts = handles.layout()
        rows = min(len(handles.picks), len(counts))  # profiles hinted (all, in practice)
        given = np.asarray(counts[:rows], np.int64)
        lengths = np.diff(starts[: rows + 1])
        if handles.lean:  # one variable per profile with a row: its seats, within its domain
            hinted = np.where(lengths > 0, np.minimum(given, handles.upper[:rows]), 0)
            has_row = lengths > 0
            indexes = layout[starts[:rows][has_row]]
            values = hinted[has_row]
        else:  # each profile's first ``seats`` picks are on, the rest off
            hinted = np.minimum(given, lengths)
            end = int(starts[rows])
            indexes = layout[:end]
            within = np.arange(end) - np.repeat(starts[:rows], lengths)
            values = (within < np.repeat(given, lengths)).astype(np.int64)
        hint_indexes: list[int] = indexes.tolist()
        hint_values: list[int] = values.tolist()
        if gaps:
            for variable, value in _gap_values(handles, hinted):
                hint_indexes.append(variable.index)
                hint_values.append(value)
        _set_hint(handles.model, hint_indexes, hint_values)

    def switch(self, handles: BalanceModel) -> None:
        """Go on with another model of the same question, starting from the board so far."""
        counts = self.counts() if self.has_board else None
        self.handles = handles
        self.picked = None
        if counts is not None:
            self.hint(counts)

    def is_unique(self) -> bool | None:
        """Does any other board reach every fixed optimum? Solved with a no-good cut."""
        model = self.handles.model
        assert self.picked is not None
        picks = self.handles.all_picks()
        chosen = [picks[i] for i in np.flatnonzero(self.picked).tolist()]
        check = forbid_board(self.handles, chosen)
        model.clear_assumptions()
        model.add_assumptions([check])
        saved = self.picked
        status = self.run("uniqueness", None)
        self.picked = saved
        model.clear_assumptions()
        model.add(check == 0)
        if status is SolveStatus.INFEASIBLE:
            return True
        if status.has_board:
            return False
        return None


def _set_hint(model: cp_model.CpModel, indexes: Sequence[int], values: Sequence[int]) -> None:
    """Replace the model's hint, in one call: what ``add_hint`` per variable writes, in bulk
    (every variable here is a plain variable, never a negated literal)."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    hint = model.proto.solution_hint
    hint.vars.extend(indexes)
    hint.values.extend(values)


def _set_objective(model: cp_model.CpModel, objective: LinearExpr | None, sense: int) -> None:
    """Minimise (``sense`` > 0) or maximise the objective, or clear it (None).

    What ``model.minimize``/``maximize`` write, with the proto's fields filled in bulk: they
    append one variable at a time, about 3% of a 200-seat explanation (a lottery objective has
    about 3,000 terms). Objectives here are always whole-number expressions.
    """
    model.clear_objective()  # type: ignore[no-untyped-call]
    if objective is None:
        return
    if not isinstance(objective, cp_model.LinearExpr):  # a constant: nothing to write in bulk
        model.minimize(objective) if sense > 0 else model.maximize(objective)
        return
    flat = cmh.FlatIntExpr(objective)
    written = model.proto.objective
    written.vars.extend([v.index for v in flat.vars])
    if sense > 0:
        written.scaling_factor = 1.0
        written.offset = flat.offset
        written.coeffs.extend(flat.coeffs)
    else:
        written.scaling_factor = -1.0
        written.offset = -flat.offset
        written.coeffs.extend([-c for c in flat.coeffs])


def _gap_values(handles: BalanceModel, counts: np.ndarray) -> list[tuple[cp_model.IntVar, int]]:
    """The value of every gap variable (and of the largest) for a board of these counts."""
    if handles.max_gap is None:
        return []
    values = []
    for target, gap in zip(handles.problem.scaled_targets[1], handles.gaps, strict=True):
        profiles = np.asarray(target.profiles, np.int64)
        seats = int(counts[profiles[profiles < len(counts)]].sum())
        values.append((gap, abs(target.coefficient * seats - target.offset)))
    return [*values, (handles.max_gap, max(value for _, value in values))]


def gap_objectives(handles: BalanceModel) -> tuple[list[tuple[str, LinearExpr]], int]:
    """The balance objectives, and the multiplier when they are combined into one.

    Largest gap first, then total gap: one solve of (largest x K + total), where K is one
    more than the greatest possible total, when that keeps within 64 bits; else two solves.
    """
    if handles.max_gap is None:
        return [], 0
    combined = sum(handles.gap_bounds) + 1
    if combined * max(handles.gap_bounds) < 2**62:
        both = cp_model.LinearExpr.weighted_sum(
            [handles.max_gap, *handles.gaps], [combined] + [1] * len(handles.gaps)
        )
        return [("gaps", both)], combined
    return [("largest gap", handles.max_gap), ("total gap", handles.total_gap())], 0


def tie_break(stager: Stager, *, prove_unique: bool = True) -> tuple[SolveStatus, bool | None]:
    """The tie-break stages on a full model: score (if any), then each lottery level.

    After each lottery level the board is proven the only one with every total so far; only
    if it is not does the next level run. Returns how it ended and whether it was proven
    unique (None: not asked, or the proof ran out of time).
    """
    handles = stager.handles
    stages: list[tuple[str, LinearExpr, int]] = []
    if handles.problem.score_column is not None:
        stages.append(("score", handles.score_total(), -1))
    for name, objective, sense in stages:
        if (stop := stage(stager, name, objective, sense)) is not None:
            return stop, None
    # The lottery stages start from a board that is already balanced; presolve costs more
    # than it saves there (100k candidates, 200 seats: 6.7 s with it, 3.2 s without). The
    # score stage keeps it: its coefficients can exceed what a double holds exactly, and
    # presolve is what rescales them before the LP sees them.
    stager.presolve = False
    # A proven-unique board does not depend on the search path, so these stages may take the
    # quick settings (see :func:`new_solver`): the hint is the balance stage's board, an
    # arbitrary one of its balance, and CP-SAT's search along it, with lazy LP rows and root
    # probing, was most of the tie-break (work units, lottery 1 + uniqueness, one worker:
    # 5,000 candidates and 200 seats 0.381 -> 0.058; 20,000 and 50 seats 1.706 -> 0.040).
    # What-ifs that do not prove uniqueness keep the settings they were asked with: their
    # board is read as the search found it.
    if prove_unique:
        stager.quick = True
    for level in range(lottery.LEVELS):
        objective = handles.lottery_total(level)
        if (stop := stage(stager, f"lottery {level + 1}", objective, 1)) is not None:
            return stop, None
        if not prove_unique:  # a what-if board, named for illustration only
            return SolveStatus.OPTIMAL, None
        unique = stager.is_unique()
        if unique is not False:
            return SolveStatus.OPTIMAL, unique
    return SolveStatus.OPTIMAL, False


def stage(stager: Stager, name: str, objective: LinearExpr | None, sense: int) -> Status | None:
    """One stage, fixed at its optimum; a status to stop with, or None to go on."""
    status = stager.run(name, objective, sense)
    if status is SolveStatus.INFEASIBLE:
        return SolveStatus.INFEASIBLE
    if status is not SolveStatus.OPTIMAL:
        return SolveStatus.FEASIBLE if stager.has_board else SolveStatus.UNKNOWN
    if objective is not None:
        stager.fix(objective)
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
    prove_unique: bool = True,
    before: Extension | None = None,
    elastic: Mapping[str, int] | None = None,
    first: Collection[int] = (),
    progress: Progress | None = None,
    work_limit: float | None = None,
    memory_mb: int | None = None,
    balanced: Solution | None = None,
    quick: bool = False,
    template: LeanTemplate | None = None,
    full_template: LeanTemplate | None = None,
) -> Solution:
    """Find the lexicographically best board and prove it is the only one.

    ``rules`` and ``patch`` ask what-if questions (a rule relaxed, a member out); with
    ``balance_only`` the tie-break is skipped, since only the gaps are wanted. What-ifs start
    from the chosen board as a ``hint`` and run without presolve, which on small changes costs
    more than it saves (2-4x faster on the bundled and benchmark scenarios).

    A command with an objective of its own that comes first passes ``before`` (see
    :data:`Extension`), with ``elastic`` rules or a board to stay ``first`` (see
    :func:`balancer.engine.model.build_model`); the rest of the order is unchanged.
    ``progress`` hears each stage as a step of the "solve" phase. ``work_limit`` bounds the
    deterministic time of all stages together (for what-ifs; the answer is then "feasible" or
    "unknown" when the limit ended a stage before its proof).

    ``balanced`` is the answer of a ``balance_only`` solve of this very question (same rules,
    patch, hint and gap bound), proven optimal: its gap stages are taken as they are instead
    of solved again, and the tie-break starts from its board, as it would have. An
    explanation that already priced a binding rule lean (its answer without the rule) names
    who would come in and go out this way, without solving its balance again.

    ``quick`` sets CP-SAT up for a small what-if whose board found is not read, or is decided
    by the lottery (see :func:`new_solver`). With ``template`` (of this problem) its lean
    model is an edited copy of the template instead of one built anew, when the question only
    drops rules or moves their bounds: for such answers only (see
    :class:`balancer.engine.model.LeanTemplate`); ``full_template`` likewise for the full model
    of the tie-break. A quick what-if with a full template that names its board without a
    uniqueness proof (and no score) is solved on the full model alone, balance and lottery in
    one objective (:func:`_named_in_one`).
    """
    reporter = progress or SILENT
    reporter.start("solve", None)
    try:
        return _solve(
            problem,
            workers=workers,
            time_limit=time_limit,
            rules=rules,
            patch=patch,
            balance_only=balance_only,
            hint=hint,
            max_gap_at_most=max_gap_at_most,
            presolve=presolve,
            prove_unique=prove_unique,
            before=before,
            elastic=elastic,
            first=first,
            progress=reporter,
            work_limit=work_limit,
            memory_mb=memory_mb,
            balanced=balanced,
            quick=quick,
            template=template,
            full_template=full_template,
        )
    finally:
        reporter.end("solve")


def _solve(
    problem: BalanceProblem,
    *,
    workers: int | None,
    time_limit: float | None,
    rules: Sequence[Rule] | None,
    patch: Patch | None,
    balance_only: bool,
    hint: Sequence[int] | None,
    max_gap_at_most: int | None,
    presolve: bool,
    prove_unique: bool,
    before: Extension | None,
    elastic: Mapping[str, int] | None,
    first: Collection[int],
    progress: Progress,
    work_limit: float | None,
    memory_mb: int | None,
    balanced: Solution | None,
    quick: bool,
    template: LeanTemplate | None,
    full_template: LeanTemplate | None,
) -> Solution:
    workers = workers or default_workers()
    if (
        balanced is not None
        and not balance_only
        and before is None
        and balanced.status is SolveStatus.OPTIMAL
    ):
        return _tie_break_of(
            problem,
            balanced,
            workers=workers,
            time_limit=time_limit,
            rules=rules,
            patch=patch,
            presolve=presolve,
            prove_unique=prove_unique,
            elastic=elastic,
            first=first,
            progress=progress,
            work_limit=work_limit,
            memory_mb=memory_mb,
            quick=quick,
            template=full_template,
        )
    if (
        not balance_only
        and not prove_unique
        and quick
        and full_template is not None
        and before is None
        and problem.score_column is None
    ):
        named = _named_in_one(
            problem,
            workers=workers,
            time_limit=time_limit,
            rules=rules,
            patch=patch,
            hint=hint,
            max_gap_at_most=max_gap_at_most,
            progress=progress,
            work_limit=work_limit,
            memory_mb=memory_mb,
            template=full_template,
        )
        if named is not None:
            return named
    started = time.perf_counter()
    lean = _model(
        problem,
        template,
        own=before is not None,
        rules=rules,
        patch=patch,
        elastic=elastic,
        first=first,
        lean=True,
    )
    own = list(before(lean)) if before is not None else []
    built = time.perf_counter()
    stager = Stager(lean, workers, time_limit, presolve, progress, work_limit, memory_mb, quick)
    if hint is not None:
        stager.hint(hint, gaps=True)
    if max_gap_at_most is not None and lean.max_gap is not None:
        lean.model.add(lean.max_gap <= max_gap_at_most)
    gap_stages, combined = gap_objectives(lean)
    # The stages a run usually takes: its own, the gaps, the score, one lottery level and
    # its proof.
    breaks = 0 if balance_only else (problem.score_column is not None) + 1 + prove_unique
    stager.planned = max(1, len(own) + len(gap_stages) + breaks)

    def finish(status: Status, unique: bool | None = None) -> Solution:
        values = {stage.name: stage.value for stage in stager.stages}
        gaps = None
        if gap_stages and status in {"optimal", "feasible"}:
            if combined:
                gaps = divmod(values.get("gaps") or 0, combined)
            else:
                gaps = (values.get("largest gap") or 0, values.get("total gap") or 0)
        return stager.solution(status, gaps, started, built, unique)

    # The command's own objectives and the balance, on the lean model (seats per profile).
    fixed: list[int] = []
    for name, objective in [*own, *gap_stages]:
        if (stop := stage(stager, name, objective, 1)) is not None:
            return finish(stop)
        fixed.append(stager.stages[-1].value or 0)
    if balance_only:
        if not fixed and (stop := stage(stager, "feasibility", None, 1)) is not None:
            return finish(stop)
        return finish(SolveStatus.OPTIMAL)

    # The tie-break, on the full model (one pick per member), with the above held fixed.
    largest = None
    if gap_stages:
        value = fixed[len(own)]
        largest = divmod(value, combined)[0] if combined else value
    full = _full_model(
        problem,
        fixed,
        largest,
        before,
        rules=rules,
        patch=patch,
        elastic=elastic,
        first=first,
        template=full_template,
    )
    stager.switch(full)
    status, unique = tie_break(stager, prove_unique=prove_unique)
    return finish(status, unique)


def balance_then_lottery(handles: BalanceModel) -> tuple[LinearExpr, int, int] | None:
    """The balance and the first lottery level as one objective, the multiplier of the
    balance in it, and the largest gap's multiplier within the balance (as in
    :func:`gap_objectives`); None when that does not fit in 64 bits (or there is no balance).

    A board's lottery total lies between 0 and one number below ``2**31`` per seat, so the
    balance times a multiplier above that range, plus the lottery total, orders boards by
    balance first and lottery second, exactly as the two stages of :func:`_solve` do.
    """
    stages, combined = gap_objectives(handles)
    if len(stages) != 1 or handles.max_gap is None:
        return None
    (_, gaps) = stages[0]
    multiplier = handles.problem.board_size * 2**lottery.SLICE_BITS
    largest_gaps = combined * (max(handles.gap_bounds) + 1)
    if largest_gaps * multiplier >= 2**62:
        return None
    return gaps * multiplier + handles.lottery_total(0), multiplier, combined


def _named_in_one(
    problem: BalanceProblem,
    *,
    workers: int,
    time_limit: float | None,
    rules: Sequence[Rule] | None,
    patch: Patch | None,
    hint: Sequence[int] | None,
    max_gap_at_most: int | None,
    progress: Progress,
    work_limit: float | None,
    memory_mb: int | None,
    template: LeanTemplate,
) -> Solution | None:
    """A what-if board named for illustration (its balance, then its first lottery level)
    in one solve of the full model, where :func:`_solve` takes two: the balance on the lean
    model, then the lottery with the balance fixed. None where the objective does not fit.

    On a 200-seat board with 29 binding country caps, the 29 prices and boards with a cap
    relaxed by one seat took 2.0-2.2 s of CPU this way and 3.4-3.6 s in two solves (one
    thread, the machine's load 1.7), with the same prices and boards.
    """
    started = time.perf_counter()
    full = _model(
        problem,
        template,
        rules=rules,
        patch=patch,
        elastic=None,
        first=(),
        largest_gap=max_gap_at_most,
    )
    both = balance_then_lottery(full)
    if both is None:
        return None
    objective, multiplier, combined = both
    built = time.perf_counter()
    stager = Stager(full, workers, time_limit, False, progress, work_limit, memory_mb, quick=True)
    if hint is not None:
        stager.hint(hint, gaps=True)
    if max_gap_at_most is not None and full.max_gap is not None:
        full.model.add(full.max_gap <= max_gap_at_most)
    stager.planned = 1
    status = stager.run("gaps, then lottery 1", objective)
    value = stager.stages[-1].value
    gaps = None
    if status.has_board and value is not None:  # the board's own gaps (proven best if optimal)
        gaps = divmod(value // multiplier, combined)
    return stager.solution(status, gaps, started, built)


def _model(
    problem: BalanceProblem,
    template: LeanTemplate | None,
    *,
    rules: Sequence[Rule] | None,
    patch: Patch | None,
    elastic: Mapping[str, int] | None,
    first: Collection[int],
    own: bool = False,
    lean: bool = False,
    largest_gap: int | None = None,
) -> BalanceModel:
    """An edited copy of ``template`` where the question only drops or moves rules, else the
    model :func:`build_model` writes; a template only holds the problem's own rules and pool,
    so patches, elastic rules, rows to put first and a command's ``own`` objectives are
    always built."""
    if template is not None and not own and patch is None and not elastic and not first:
        rules_now = problem.rules if rules is None else rules
        if (copied := from_template(template, rules_now, largest_gap)) is not None:
            return copied
    return build_model(
        problem,
        rules=rules,
        patch=patch,
        elastic=elastic,
        lean=lean,
        largest_gap=largest_gap,
        first=first,
    )


def _full_model(
    problem: BalanceProblem,
    fixed: Sequence[int],
    largest: int | None,
    before: Extension | None,
    *,
    rules: Sequence[Rule] | None,
    patch: Patch | None,
    elastic: Mapping[str, int] | None,
    first: Collection[int],
    template: LeanTemplate | None = None,
) -> BalanceModel:
    """The full model (one pick per member) for the tie-break, with the command's own
    objectives and the balance held at the values ``fixed`` the lean stages found; an edited
    copy of a full ``template`` where the question allows it."""
    full = _model(
        problem,
        template,
        own=before is not None,
        rules=rules,
        patch=patch,
        elastic=elastic,
        first=first,
        largest_gap=largest,
    )
    objectives = [*(before(full) if before is not None else []), *gap_objectives(full)[0]]
    for (_, objective), value in zip(objectives, fixed, strict=True):
        full.model.add(objective == value)
    return full


def _tie_break_of(
    problem: BalanceProblem,
    balanced: Solution,
    *,
    workers: int,
    time_limit: float | None,
    rules: Sequence[Rule] | None,
    patch: Patch | None,
    presolve: bool,
    prove_unique: bool,
    elastic: Mapping[str, int] | None,
    first: Collection[int],
    progress: Progress,
    work_limit: float | None,
    memory_mb: int | None,
    quick: bool,
    template: LeanTemplate | None,
) -> Solution:
    """The tie-break of :func:`_solve` after its balance stages, taken from ``balanced``.

    The full model, its fixed optima and its hint are built exactly as :func:`_solve` builds
    them after the lean stages (the stages' values, then the board's seats per profile), and
    the work those stages took is still counted against ``work_limit``.
    """
    started = time.perf_counter()
    # A balance_only answer's stages are its gap stages (or "feasibility" when there are none).
    fixed: list[int] = []
    for stage in balanced.stages:
        if stage.name != "feasibility":
            assert stage.value is not None, "an optimal answer has every stage's value"
            fixed.append(stage.value)
    largest = balanced.gap_values[0] if balanced.gap_values is not None else None
    full = _full_model(
        problem,
        fixed,
        largest,
        None,
        rules=rules,
        patch=patch,
        elastic=elastic,
        first=first,
        template=template,
    )
    built = time.perf_counter()
    left = None if work_limit is None else work_limit - balanced.work
    stager = Stager(full, workers, time_limit, presolve, progress, left, memory_mb, quick)
    stager.stages = list(balanced.stages)
    breaks = (problem.score_column is not None) + 1 + prove_unique
    stager.planned = len(stager.stages) + breaks
    # With the gaps the hint is complete, so a quick solve takes it as its first solution.
    stager.hint(balanced.counts, gaps=quick)
    status, unique = tie_break(stager, prove_unique=prove_unique)
    return stager.solution(status, balanced.gap_values, started, built, unique)
