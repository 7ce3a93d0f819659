"""Why no board exists: shortages, irreducible conflicts, and the smallest fix.

Conflicts are found by the solver, not guessed: every rule gets a switch, CP-SAT names a
sufficient set of switches that cannot all be on (its assumptions core), and a deletion pass
drops each rule that is not needed for the conflict. What remains is irreducible: drop any
one rule of it and a board exists. The smallest fix lets every rule move by some seats and
minimises the total move, within per-rule limits the scenario may set.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping, Sequence

from ortools.sat.python import cp_model
from pydantic import BaseModel

from balancer.engine.model import Patch, build_model
from balancer.engine.problem import BalanceProblem
from balancer.engine.recount import Balance, balance
from balancer.engine.solve import new_solver, solve
from balancer.spec.rules import Kind, Rule


class Conflict(BaseModel):
    """A set of rules that cannot all hold; dropping any one of them leaves a board possible."""

    rules: list[str]
    sentences: list[str]
    summary: str


class Move(BaseModel):
    """One rule moved by the smallest fix."""

    rule: str
    description: str
    min_from: int
    min_to: int
    max_from: int
    max_to: int
    seats: int
    sentence: str


class Relaxation(BaseModel):
    """The smallest total change of seats in the rules that makes a board possible."""

    seats: int
    moves: list[Move]
    roster: list[str]
    objective: Balance | None
    sentence: str


class Diagnosis(BaseModel):
    """Why no board exists: shortages in the pool, irreducible conflicts, and the smallest fix."""

    shortages: list[str]
    conflicts: list[Conflict]
    relaxation: Relaxation | None = None


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


def _solver() -> cp_model.CpSolver:
    return new_solver(1)


def feasible(problem: BalanceProblem, rules: Sequence[Rule], patch: Patch | None = None) -> bool:
    """Does any board meet these rules?"""
    handles = build_model(problem, rules=rules, patch=patch)
    return _solver().solve(handles.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def minimal_conflict(
    problem: BalanceProblem, rules: Sequence[Rule], patch: Patch | None = None
) -> list[Rule] | None:
    """An irreducible set of conflicting rules, or None when the rules admit a board.

    With a ``patch`` (say, a member taken out) the conflict is the set of rules that, with
    the patch, leave no board: the rules that make that member necessary.
    """
    handles = build_model(problem, rules=rules, switchable=True, patch=patch)
    switches = handles.switches
    by_id = {rule.id: rule for rule in rules}
    handles.model.add_assumptions(list(switches.values()))
    solver = _solver()
    if solver.solve(handles.model) != cp_model.INFEASIBLE:
        return None
    index_to_id = {switch.index: rule_id for rule_id, switch in switches.items()}
    named = {index_to_id[i] for i in solver.sufficient_assumptions_for_infeasibility()}
    kept = [rule_id for rule_id in by_id if rule_id in named]  # registry order
    for rule_id in list(kept):
        trial = [r for r in kept if r != rule_id]
        if not feasible(problem, [by_id[r] for r in trial], patch):
            kept = trial
    return [by_id[r] for r in kept]


def conflict_summary(rules: Sequence[Rule]) -> str:
    if len(rules) == 1:
        return f"The pool cannot meet this criterion on its own: {rules[0].description}"
    return (
        f"These {len(rules)} criteria cannot all hold at once; relaxing or dropping any one of "
        "them removes this conflict."
    )


def diagnose(problem: BalanceProblem, limits: Mapping[str, int] | None = None) -> Diagnosis:
    """Every shortage, disjoint minimal conflicts until the rest agree, and the smallest fix."""
    conflicts = []
    remaining = list(problem.rules)
    while True:
        conflict = minimal_conflict(problem, remaining)
        if not conflict:
            break
        conflicts.append(
            Conflict(
                rules=[r.id for r in conflict],
                sentences=[r.description for r in conflict],
                summary=conflict_summary(conflict),
            )
        )
        dropped = {r.id for r in conflict}
        remaining = [r for r in remaining if r.id not in dropped]
    return Diagnosis(
        shortages=shortages(problem),
        conflicts=conflicts,
        relaxation=smallest_relaxation(problem, limits or {}),
    )


def movable(rule: Rule, board_size: int, limits: Mapping[str, int]) -> int:
    """How many seats a rule may move by in the smallest fix (0: fixed)."""
    if rule.kind is Kind.BOARD_SIZE:
        return 0
    limit = board_size if rule.kind not in {Kind.INCLUDE, Kind.EXCLUDE} else 1
    for pattern, allowed in limits.items():
        if fnmatch.fnmatchcase(rule.id, pattern):
            limit = min(limit, allowed)
    return limit


def smallest_relaxation(problem: BalanceProblem, limits: Mapping[str, int]) -> Relaxation | None:
    """Fewest seats of rule change (in total) that admit a board, and the board it gives."""
    elastic = {r.id: movable(r, problem.board_size, limits) for r in problem.rules}
    elastic = {rule_id: limit for rule_id, limit in elastic.items() if limit > 0}
    handles = build_model(problem, elastic=elastic)
    moves = [v for pair in handles.moves.values() for v in pair]
    handles.model.minimize(cp_model.LinearExpr.sum(moves))
    solver = _solver()
    if solver.solve(handles.model) != cp_model.OPTIMAL:
        return None
    relaxed_rules = []
    changes = []
    for rule in problem.rules:
        if rule.id not in handles.moves:
            relaxed_rules.append(rule)
            continue
        down, up = (int(solver.value(v)) for v in handles.moves[rule.id])
        new = dataclasses.replace(rule, lo=rule.lo - down, hi=rule.hi + up)
        relaxed_rules.append(new)
        if down or up:
            changes.append(_move(rule, new, down + up))
    board = solve(problem, workers=1, rules=relaxed_rules)
    roster = [str(problem.ids.iat[r]) for r in board.rows]
    total = sum(m.seats for m in changes)
    sentence = (
        f"The smallest change that makes a board possible moves {total} seat"
        f"{'s' * (total != 1)} in total: " + "; ".join(m.sentence for m in changes) + "."
    )
    return Relaxation(
        seats=total,
        moves=changes,
        roster=roster,
        objective=balance(problem, board.rows) if board.rows else None,
        sentence=sentence,
    )


def _move(old: Rule, new: Rule, seats: int) -> Move:
    said = old.description.rstrip(".")
    if old.kind in {Kind.INCLUDE, Kind.EXCLUDE}:
        sentence = f"drop '{said}'"
    elif new.lo != old.lo:
        sentence = f"'{said}' becomes at least {new.lo}"
    else:
        sentence = f"'{said}' becomes at most {new.hi}"
    return Move(
        rule=old.id,
        description=old.description,
        min_from=old.lo,
        min_to=new.lo,
        max_from=old.hi,
        max_to=new.hi,
        seats=seats,
        sentence=sentence,
    )
