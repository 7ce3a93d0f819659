"""What the chosen board achieves, rule by rule and value by value, and why none exists when so.

Everything here is recomputed from the roster and the pool table, never read back from the
solver's variables: the report is an independent account of the board, and a mistake in the
model would show up as a contradiction rather than be repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import pandas as pd
from ortools.sat.python import cp_model
from pydantic import BaseModel

from balancer.constraints import ID, Kind, Rule
from balancer.model import build_model
from balancer.problem import BalanceProblem, rows_matching


class RuleOutcome(BaseModel):
    """One constraint: its bounds, what the board achieves, and how much room is left."""

    id: str
    kind: str
    description: str
    min: int
    max: int
    achieved: int | None
    slack: int | None
    tight: bool | None
    available: int


class CompositionRow(BaseModel):
    """One value of one column: in the pool, on the board, and against its target."""

    column: str
    value: str
    pool: int
    board: int
    target_share: float | None = None
    target_seats: float | None = None
    gap: float | None = None
    weighted_gap: float | None = None
    sensitive: bool = False


class Balance(BaseModel):
    """The two gap figures the board was chosen by, as floats and as exact fractions."""

    max_gap: float
    total_gap: float
    max_gap_exact: str
    total_gap_exact: str
    score_total: float | None = None


class Conflict(BaseModel):
    """A set of rules that cannot all hold; dropping any one of them leaves a board possible."""

    rules: list[str]
    sentences: list[str]


class Diagnosis(BaseModel):
    """Why no board exists: shortages in the pool and irreducible conflicts between rules."""

    shortages: list[str]
    conflicts: list[Conflict]


def selected_mask(problem: BalanceProblem, rows: Sequence[int]) -> pd.Series:
    mask = pd.Series(False, index=problem.pool.table.index)
    mask.iloc[list(rows)] = True
    return mask


def rule_outcomes(problem: BalanceProblem, rows: Sequence[int] | None) -> list[RuleOutcome]:
    """Every rule with what the board achieves (``rows`` None: no board, bounds only)."""
    table = problem.pool.table
    chosen = None if rows is None else selected_mask(problem, rows).to_numpy()
    outcomes = []
    for rule in problem.rules:
        achieved = slack = tight = None
        if chosen is not None:
            counted = rows_matching(table, rule.where, problem.pool.id_column)
            achieved = int((counted & chosen).sum())
            slack = rule.slack(achieved)
            tight = slack == 0
        outcomes.append(
            RuleOutcome(
                id=rule.id,
                kind=rule.kind.value,
                description=rule.description,
                min=rule.lo,
                max=rule.hi,
                achieved=achieved,
                slack=slack,
                tight=tight,
                available=problem.available(rule),
            )
        )
    return outcomes


def composition(problem: BalanceProblem, rows: Sequence[int] | None) -> list[CompositionRow]:
    """Per value of every column the scenario reads: pool, board, target seats and gap."""
    table = problem.pool.table
    board = table.iloc[list(rows)] if rows is not None else table.iloc[0:0]
    targets = {(t.column, t.value): t for t in problem.targets}
    sensitive = set(problem.scenario.sensitive)
    result = []
    for column in problem.criteria_columns():
        pool_counts = table[column].value_counts()
        board_counts = board[column].value_counts()
        values = {str(v) for v in pool_counts.index if v != ""}
        values |= {value for (col, value) in targets if col == column}
        for value in sorted(values):
            on_board = int(board_counts.get(value, 0))
            row = CompositionRow(
                column=column,
                value=value,
                pool=int(pool_counts.get(value, 0)),
                board=on_board,
                sensitive=column in sensitive,
            )
            term = targets.get((column, value))
            if term is not None:
                gap = abs(on_board - term.seats)
                row.target_share = float(term.share)
                row.target_seats = float(term.seats)
                row.gap = float(gap)
                row.weighted_gap = float(gap * term.weight)
            result.append(row)
    return result


def balance(problem: BalanceProblem, rows: Sequence[int]) -> Balance | None:
    """Largest and total weighted gap of a board, exactly."""
    if not problem.targets:
        return None
    board = problem.pool.table.iloc[list(rows)]
    gaps = []
    for term in problem.targets:
        seats = int((board[term.column] == term.value).sum())
        gaps.append(abs(seats - term.seats) * term.weight)
    largest = max(gaps)
    total = sum(gaps, Fraction(0))
    score_total = None
    if problem.score_column is not None:
        score_total = float(sum((problem.score(r) for r in rows), Fraction(0)))
    return Balance(
        max_gap=float(largest),
        total_gap=float(total),
        max_gap_exact=str(largest),
        total_gap_exact=str(total),
        score_total=score_total,
    )


# ---------------------------------------------------------------------------------------------
# Infeasibility
# ---------------------------------------------------------------------------------------------


def shortages(problem: BalanceProblem) -> list[str]:
    """Minimums the pool alone cannot supply, in words."""
    found = []
    for rule in problem.rules:
        if rule.lo == 0 or rule.kind is Kind.INCLUDE:
            continue
        have = problem.available(rule)
        if have < rule.lo:
            found.append(
                f"{_subject(rule)} needs {rule.lo} seat{'s' * (rule.lo != 1)}, "
                f"the pool has {have} such candidate{'s' * (have != 1)}."
            )
    return found


def _subject(rule: Rule) -> str:
    if rule.kind is Kind.BOARD_SIZE:
        return "The board"
    if rule.column is not None and rule.value is not None and rule.kind is not Kind.CAP:
        return f"{rule.column}={rule.value}"
    if rule.group is not None:
        return f"The group '{rule.group}'"
    return rule.id


def _feasible(problem: BalanceProblem, rules: Sequence[Rule]) -> bool:
    handles = build_model(problem, rules=rules)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.solve(handles.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def minimal_conflict(problem: BalanceProblem, rules: Sequence[Rule]) -> list[Rule] | None:
    """An irreducible set of conflicting rules, found by the solver, or None if none conflict.

    CP-SAT first names a sufficient set of rule switches (assumptions) that cannot all be on;
    then each rule in it is tried without: if the rest still conflict, it was not needed.
    What remains conflicts, and dropping any one rule of it leaves a board possible.
    """
    handles = build_model(problem, rules=rules, switchable=True)
    switches = handles.switches
    by_id = {rule.id: rule for rule in rules}
    handles.model.add_assumptions(list(switches.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if solver.solve(handles.model) != cp_model.INFEASIBLE:
        return None
    index_to_id = {switch.index: rule_id for rule_id, switch in switches.items()}
    core = [index_to_id[i] for i in solver.sufficient_assumptions_for_infeasibility()]
    core = [rule_id for rule_id in by_id if rule_id in set(core)]  # registry order
    kept = list(core)
    for rule_id in core:
        trial = [r for r in kept if r != rule_id]
        if not _feasible(problem, [by_id[r] for r in trial]):
            kept = trial
    return [by_id[r] for r in kept]


def diagnose(problem: BalanceProblem) -> Diagnosis:
    """Every shortage, and disjoint minimal conflicts until the remaining rules agree."""
    conflicts = []
    remaining = list(problem.rules)
    while True:
        conflict = minimal_conflict(problem, remaining)
        if not conflict:
            break
        conflicts.append(
            Conflict(rules=[r.id for r in conflict], sentences=[r.description for r in conflict])
        )
        dropped = {r.id for r in conflict}
        remaining = [r for r in remaining if r.id not in dropped]
    return Diagnosis(shortages=shortages(problem), conflicts=conflicts)


def named_candidate(rule: Rule) -> str | None:
    """The id an include/exclude rule is about."""
    values = rule.where.get(ID)
    return next(iter(values)) if values else None
