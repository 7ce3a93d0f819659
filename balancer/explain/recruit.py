"""Recruitment advice: the fewest new candidates that would take a binding minimum's price away.

A minimum binds when the candidates who meet it pull the board away from its targets. New
candidates who meet it *and* fit the targets would let the board keep the minimum at no
price. The solver is given hypothetical recruits of every combination of criteria values that
meets the rule (with no country or organisation of their own, so no cap applies to them) and
asked for the fewest whose presence gives a board as balanced as the one without the rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from ortools.sat.python import cp_model
from pydantic import BaseModel

from balancer.engine.model import build_model, cap_gaps
from balancer.engine.problem import BalanceProblem, Profile, gap_scale, value_counts
from balancer.engine.solve import new_solver, status_of
from balancer.explain.whatif import Gaps
from balancer.spec.outcomes import SolveStatus
from balancer.spec.rules import REGISTRY, Rule

MAX_KINDS = 2000  # combinations of criteria values considered; beyond it, no advice
WORK_LIMIT = 30.0
"""CP-SAT deterministic time for one piece of advice (about 30 s of search on a laptop).
Deterministic, not wall-clock: whether advice appears must not depend on the machine."""


class Recruits(BaseModel):
    """How many new candidates of one kind."""

    count: int
    profile: dict[str, str]


class Recruitment(BaseModel):
    """Advice for one binding minimum."""

    rule: str
    total: int
    recruits: list[Recruits]
    sentence: str


def _kinds(problem: BalanceProblem, rule: Rule) -> list[dict[str, str]] | None:
    """Every combination of criteria values that counts towards the rule."""
    columns = problem.criteria_columns()
    table = problem.pool.table
    choices = []
    for column in columns:
        allowed = rule.where.get(column)
        present = value_counts(table, column, problem.scenario.multi).index
        values = sorted(allowed) if allowed else sorted(str(v) for v in present)
        choices.append(values)
    count = int(np.prod([len(c) for c in choices])) if choices else 0
    if count == 0 or count > MAX_KINDS:
        return None
    return [dict(zip(columns, combo, strict=True)) for combo in itertools.product(*choices)]


def recruitment(
    problem: BalanceProblem, rule: Rule, without_rule: Gaps, work_limit: float = WORK_LIMIT
) -> Recruitment | None:
    """The fewest recruits that make the rule free (as balanced as the board without it)."""
    if REGISTRY[rule.kind].side != "min":
        return None
    kinds = _kinds(problem, rule)
    if not kinds:
        return None
    n = problem.board_size
    recruits = [Profile(values=dict(kind), members=np.arange(n)) for kind in kinds]
    extended = problem.with_profiles(recruits)
    handles = build_model(extended)
    if handles.max_gap is None:
        return None
    scale = gap_scale(problem.targets)
    cap_gaps(handles, int(without_rule.largest * scale), int(without_rule.total * scale))
    first = len(problem.profiles)
    new_seats = [handles.seats([first + k]) for k in range(len(kinds))]
    handles.model.minimize(cp_model.LinearExpr.sum(new_seats))
    solver = new_solver(1, work_limit=work_limit)
    if status_of(solver.solve(handles.model)) is not SolveStatus.OPTIMAL:
        return None
    advice = [
        Recruits(count=int(solver.value(seats)), profile=kind)
        for kind, seats in zip(kinds, new_seats, strict=True)
        if solver.value(seats) > 0
    ]
    total = sum(r.count for r in advice)
    if total == 0:
        return None
    described = "; ".join(
        f"{r.count} with " + ", ".join(f"{c} {v}" for c, v in r.profile.items()) for r in advice
    )
    sentence = (
        f"{total} more candidate{'s' * (total != 1)} ({described}) would let the board meet "
        f"'{rule.description.rstrip('.')}' at no cost to its balance."
    )
    return Recruitment(rule=rule.id, total=total, recruits=advice, sentence=sentence)


def advise(problem: BalanceProblem, binding: Sequence[tuple[Rule, Gaps]]) -> list[Recruitment]:
    """Advice for every binding minimum that recruitment can free."""
    found = []
    for rule, gaps in binding:
        advice = recruitment(problem, rule, gaps)
        if advice is not None:
            found.append(advice)
    return found
