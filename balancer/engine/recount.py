"""What the chosen board achieves, rule by rule and value by value.

Everything here is recomputed from the roster and the pool table, never read back from the
solver's variables: the report is an independent account of the board, and a mistake in the
model would show up as a contradiction rather than be repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from pydantic import BaseModel

from balancer.engine.problem import BalanceProblem, column_parts, rows_matching, value_counts


class RuleOutcome(BaseModel):
    """One constraint: its bounds, what the board achieves, and how much room is left."""

    id: str
    kind: str
    description: str
    column: str | None = None
    value: str | None = None
    min: int
    max: int
    achieved: int | None
    slack: int | None
    tight: bool | None
    available: int
    confidential: bool = False


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
    neutral: bool = False
    """True for a value of a targeted column that the target does not list: no gap either way."""


class Balance(BaseModel):
    """The two gap figures the board was chosen by, as floats and as exact fractions."""

    max_gap: float
    total_gap: float
    max_gap_exact: str
    total_gap_exact: str
    score_total: float | None = None


def rule_hits(problem: BalanceProblem, rows: Sequence[int]) -> np.ndarray:
    """Whether each pool row in ``rows`` counts towards each rule: a (rows, rules) boolean matrix.

    The one place a person is matched against a rule's values, read from the pool's cells:
    a multi-valued cell (``Academia;Civil Society``) counts towards every one of its parts,
    never as a whole string. Everything that counts members for a rule (the report, the
    alternates, a replacement's reasons) asks here, so they cannot disagree.
    """
    # Only these rows are read: a million-row pool costs no more than the board.
    table = problem.pool.table.iloc[list(rows)]
    hits = np.zeros((len(table), len(problem.rules)), dtype=bool)
    for k, rule in enumerate(problem.rules):
        hits[:, k] = rows_matching(
            table, rule.where, problem.pool.id_column, problem.scenario.multi
        )
    return hits


def rule_outcomes(problem: BalanceProblem, rows: Sequence[int] | None) -> list[RuleOutcome]:
    """Every rule with what the board achieves (``rows`` None: no board, bounds only)."""
    hits = None if rows is None else rule_hits(problem, rows)
    sensitive = set(problem.scenario.sensitive)
    outcomes = []
    for k, rule in enumerate(problem.rules):
        achieved = slack = tight = None
        if hits is not None:
            achieved = int(hits[:, k].sum())
            slack = rule.slack(achieved)
            tight = slack == 0
        outcomes.append(
            RuleOutcome(
                id=rule.id,
                kind=rule.kind.value,
                description=rule.description,
                column=rule.column,
                value=rule.value,
                min=rule.lo,
                max=rule.hi,
                achieved=achieved,
                slack=slack,
                tight=tight,
                available=problem.available(rule),
                confidential=bool(set(rule.where) & sensitive),
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
        # Per value, not per cell: a multi-valued member is counted in each of their values.
        pool_counts = problem.pool_counts(column)
        board_counts = value_counts(board, column, problem.scenario.multi)
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
            row.neutral = term is None and column in problem.scenario.targets
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
        parts = column_parts(board, term.column, problem.scenario.multi)
        seats = int(sum(term.value in p for p in parts))
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
