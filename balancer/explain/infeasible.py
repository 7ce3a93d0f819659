"""Why no board exists: shortages, irreducible conflicts, and the smallest fix.

Conflicts are found by the solver, not guessed: every rule gets a switch, CP-SAT names a
sufficient set of switches that cannot all be on (its assumptions core), and a deletion pass
drops each rule that is not needed for the conflict. What remains is irreducible: drop any
one rule of it and *that* conflict is gone (another may remain). Every minimal conflict is
enumerated (MARCO: a map of the rule subsets not yet explained, each unexplained subset
either shrunk to a new minimal conflict or grown to a largest possible set of rules), up to
:data:`CONFLICT_LIMIT`; the diagnosis says whether the list is complete. The smallest fix lets
every rule move by some seats and minimises the total move, within per-rule limits the
scenario may set: it, not dropping one rule of one conflict, is what makes a board possible.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ortools.sat.python import cp_model
from pydantic import BaseModel, Field

from balancer.engine.model import Patch, build_model
from balancer.engine.problem import BalanceProblem
from balancer.engine.recount import Balance, balance
from balancer.engine.solve import new_solver, solve, status_of
from balancer.spec.outcomes import SolveStatus
from balancer.spec.rules import Kind, Rule

CONFLICT_LIMIT = 10
"""Most minimal conflicts listed; the diagnosis says when the search stopped there."""
MAX_PROPOSALS = 200
"""Most subsets the enumeration examines (a count, not a clock, so the output never depends
on the machine); reached only by scenarios with very many interlocking rules."""
MAX_SOLVES = 300
"""Most solves the enumeration makes (growing sets, cores and deletion passes together), also a
count. Each conflict costs a solve per rule of its core: on 5,000 candidates from 93 countries
at two per country and 200 seats every conflict has about 91 rules, and ten of them took three
minutes. The first conflicts are listed and the diagnosis says more may exist."""


class _OutOfSolves(Exception):
    """The enumeration's solves ran out before the conflict being shrunk was minimal."""


@dataclass
class _Solves:
    """Solves the enumeration may still make (None: no limit, as for a single conflict)."""

    left: int | None = None

    def take(self, count: int = 1) -> None:
        if self.left is None:
            return
        if count > self.left:
            raise _OutOfSolves
        self.left -= count


class Conflict(BaseModel):
    """A set of rules that cannot all hold; dropping any one of them removes this conflict.

    Other conflicts may remain after dropping one rule, and relaxing a rule by one seat may
    not be enough: the smallest fix says what makes a board possible.
    """

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
    conflicts_complete: bool = Field(
        default=True,
        description="True when ``conflicts`` is every minimal conflict of the rules; False "
        "when the search stopped early (conflicts_sentence says whether more exist)",
    )
    conflict_limit: int = CONFLICT_LIMIT
    conflicts_sentence: str = ""
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


# Every model of the diagnosis is lean (one whole-number seat count per profile): whether a
# board exists, and which rules conflict, depend only on the counts, never on who fills them.
# The full model (one pick per member) made the same proofs about 25x slower (issue 13: 20,000
# candidates, 36 countries, one per country, 50 seats: 271 s of conflicts, 10 s lean).


def feasible(problem: BalanceProblem, rules: Sequence[Rule], patch: Patch | None = None) -> bool:
    """Does any board meet these rules?"""
    handles = build_model(problem, rules=rules, patch=patch, lean=True)
    return status_of(_solver().solve(handles.model)).has_board


def minimal_conflict(
    problem: BalanceProblem,
    rules: Sequence[Rule],
    patch: Patch | None = None,
    solves: _Solves | None = None,
) -> list[Rule] | None:
    """An irreducible set of conflicting rules, or None when the rules admit a board.

    With a ``patch`` (say, a member taken out) the conflict is the set of rules that, with
    the patch, leave no board: the rules that make that member necessary. ``solves`` (for the
    enumeration) are taken before each solve, and all of the deletion pass's at once, so it
    stops before it starts a conflict it cannot finish.
    """
    solves = solves or _Solves()
    solves.take()
    handles = build_model(problem, rules=rules, switchable=True, patch=patch, lean=True)
    switches = handles.switches
    by_id = {rule.id: rule for rule in rules}
    handles.model.add_assumptions(list(switches.values()))
    solver = _solver()
    if status_of(solver.solve(handles.model)) is not SolveStatus.INFEASIBLE:
        return None
    index_to_id = {switch.index: rule_id for rule_id, switch in switches.items()}
    named = {index_to_id[i] for i in solver.sufficient_assumptions_for_infeasibility()}
    kept = [rule_id for rule_id in by_id if rule_id in named]  # registry order
    solves.take(len(kept))
    for rule_id in list(kept):
        trial = [r for r in kept if r != rule_id]
        if not feasible(problem, [by_id[r] for r in trial], patch):
            kept = trial
    return [by_id[r] for r in kept]


def conflict_summary(rules: Sequence[Rule]) -> str:
    """Only what is true of a minimal conflict (checked by brute force in the tests)."""
    if len(rules) == 1:
        return f"The pool cannot meet this criterion on its own: {rules[0].description}"
    return (
        f"These {len(rules)} criteria cannot all hold at once. Dropping any one of them removes "
        "this conflict; other conflicts may remain; the smallest fix below is what makes a "
        "board possible."
    )


More = Literal["none", "more", "maybe", "solves"]


def all_conflicts(
    problem: BalanceProblem,
    rules: Sequence[Rule],
    limit: int = CONFLICT_LIMIT,
    max_solves: int = MAX_SOLVES,
) -> tuple[list[list[Rule]], More]:
    """Every minimal conflict among ``rules`` (up to ``limit``), and whether there are more.

    "none": the list is every minimal conflict; "more": at least one more exists (the search
    stopped at ``limit``); "maybe": the search stopped after :data:`MAX_PROPOSALS` proposals;
    "solves": it stopped when ``max_solves`` solves could not finish another conflict.

    MARCO (Liffiton et al., 2016): a map solver proposes the largest subset of rules not yet
    explained by a known conflict or a known feasible set. A feasible proposal is grown to a
    maximal feasible set, and every later proposal must add a rule outside it; an infeasible
    one is shrunk (core, then deletion) to a minimal conflict, and every later proposal must
    leave out one of its rules. When the map has no proposal left, every minimal conflict has
    been found. Deterministic: one solver thread and a fixed seed, rules in registry order.
    """
    by_id = {rule.id: rule for rule in rules}
    order = list(by_id)
    chart = cp_model.CpModel()
    chosen = {rule_id: chart.new_bool_var(rule_id) for rule_id in order}
    chart.maximize(cp_model.LinearExpr.sum(list(chosen.values())))
    found: list[list[Rule]] = []
    proposals = 0
    solves = _Solves(max_solves)
    while True:
        solver = _solver()  # a fresh solver: the map grows between proposals
        if not status_of(solver.solve(chart)).has_board:
            return found, "none"  # nothing unexplained is left
        proposals += 1
        if proposals > MAX_PROPOSALS:
            return found, "maybe"
        seed = [rule_id for rule_id in order if solver.boolean_value(chosen[rule_id])]
        try:
            solves.take()
        except _OutOfSolves:
            return found, "solves"
        grown = _grow(problem, rules, set(seed))
        if grown is not None:
            outside = [chosen[r] for r in order if r not in grown]
            if not outside:
                return found, "none"  # every rule holds together: no conflict at all
            chart.add_bool_or(outside)
            continue
        if len(found) >= limit:
            return found, "more"  # an unexplained conflict exists beyond the limit
        try:
            conflict = minimal_conflict(problem, [by_id[r] for r in seed], solves=solves) or []
        except _OutOfSolves:
            return found, "solves"
        found.append(conflict)
        chart.add_bool_or([~chosen[r.id] for r in conflict])


def _grow(problem: BalanceProblem, rules: Sequence[Rule], seed: set[str]) -> set[str] | None:
    """A largest set of rules that hold together and include ``seed``; None if ``seed`` fails.

    One solve: the seed's rules are hard, every other rule has a switch, and the number of
    switches on is maximised (a maximum is also maximal, which is all MARCO needs).
    """
    handles = build_model(problem, rules=rules, switchable=True, lean=True)
    switches = handles.switches
    for rule_id in seed:
        handles.model.add(switches[rule_id] == 1)
    others = [switch for rule_id, switch in switches.items() if rule_id not in seed]
    handles.model.maximize(cp_model.LinearExpr.sum(others))
    solver = _solver()
    if status_of(solver.solve(handles.model)) is not SolveStatus.OPTIMAL:
        return None
    return {rule_id for rule_id, switch in switches.items() if solver.boolean_value(switch)}


def conflicts_sentence(count: int, more: str, limit: int) -> str:
    """What the list of conflicts is, exactly."""
    if count == 0:
        if more == "solves":
            return (
                f"No conflict is listed: the search stops after {MAX_SOLVES} solves, before "
                "it made one minimal; the smallest fix below is what makes a board possible."
            )
        return ""
    if more == "none":
        if count == 1:
            return "This is the only minimal conflict among the criteria."
        return f"These are all {count} minimal conflicts among the criteria."
    if more == "more":
        return (
            f"The first {count} minimal conflicts found are listed; there are more (the "
            f"search stops at {limit})."
        )
    if more == "solves":
        return (
            f"The {count} minimal conflict{'s' * (count != 1)} found "
            f"{'are' if count != 1 else 'is'} listed; there may be more (the search stops "
            f"after {MAX_SOLVES} solves)."
        )
    return (
        f"The {count} minimal conflicts found are listed; there may be more (the search "
        f"stops after examining {MAX_PROPOSALS} sets of criteria)."
    )


def diagnose(problem: BalanceProblem, limits: Mapping[str, int] | None = None) -> Diagnosis:
    """Every shortage, every minimal conflict (up to the limit), and the smallest fix."""
    found, more = all_conflicts(problem, problem.rules, max_solves=MAX_SOLVES)
    conflicts = [
        Conflict(
            rules=[r.id for r in conflict],
            sentences=[r.description for r in conflict],
            summary=conflict_summary(conflict),
        )
        for conflict in found
    ]
    return Diagnosis(
        shortages=shortages(problem),
        conflicts=conflicts,
        conflicts_complete=more == "none",
        conflict_limit=CONFLICT_LIMIT,
        conflicts_sentence=conflicts_sentence(len(conflicts), more, CONFLICT_LIMIT),
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
    handles = build_model(problem, elastic=elastic, lean=True)
    moves = [v for pair in handles.moves.values() for v in pair]
    handles.model.minimize(cp_model.LinearExpr.sum(moves))
    solver = _solver()
    if status_of(solver.solve(handles.model)) is not SolveStatus.OPTIMAL:
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
