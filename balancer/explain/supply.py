"""Pool supply: per value, how many candidates there are against what the scenario asks."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from balancer.engine.problem import BalanceProblem, value_counts
from balancer.spec.rules import Kind


class SupplyRow(BaseModel):
    """One value: candidates available, seats the quotas ask, seats the target asks."""

    column: str
    value: str
    available: int
    min_seats: int
    target_seats: float | None
    board: int | None
    short_by: int


def supply(problem: BalanceProblem, rows: Sequence[int] | None) -> list[SupplyRow]:
    """Per value of every criteria column; short_by counts seats a minimum cannot get."""
    table = problem.pool.table
    board = table.iloc[list(rows)] if rows is not None else None
    minimums: dict[tuple[str, str], int] = {}
    for rule in problem.rules:
        if rule.kind is Kind.QUOTA_MIN and rule.column and rule.value is not None:
            minimums[(rule.column, rule.value)] = rule.lo
    targets = {(t.column, t.value): float(t.seats) for t in problem.targets}
    excluded = {next(iter(r.where["__id__"])) for r in problem.rules if r.kind is Kind.EXCLUDE}
    out = table[problem.pool.id_column].isin(excluded).to_numpy() if excluded else None
    # Without exclusions the usable pool is the pool: no copy of it, and one count per column.
    usable = table[~out] if out is not None and out.any() else None
    result = []
    for column in problem.criteria_columns():
        multi = problem.scenario.multi
        pool_counts = problem.pool_counts(column)
        counts = pool_counts if usable is None else value_counts(usable, column, multi)
        values = {str(v) for v in pool_counts.index}
        on_board = None if board is None else value_counts(board, column, multi)
        values |= {v for (c, v) in [*minimums, *targets] if c == column}
        for value in sorted(values):
            available = int(counts.get(value, 0))
            asked = minimums.get((column, value), 0)
            result.append(
                SupplyRow(
                    column=column,
                    value=value,
                    available=available,
                    min_seats=asked,
                    target_seats=targets.get((column, value)),
                    board=None if on_board is None else int(on_board.get(value, 0)),
                    short_by=max(0, asked - available),
                )
            )
    return result
