"""The convener's second choices: the next-best distinct boards, and alternates per member.

**Alternatives.** A convener shown one optimal board often asks "what else was close?". Board
k+1 is the lexicographically best board (same order as ``select``: largest gap, total gap,
score tie-break, then the lottery, with the same uniqueness proof) among the boards that share
at most ``n - D`` members with each of boards 1..k. These are no-good cuts on a model with
one pick per *person*: the profile model of :mod:`balancer.engine.model` always seats a profile's
best members first, so it cannot express "the same board with one member swapped for the
next one of her profile", which may well be the second-best board. Exact, and reproducible
like the first board (which is the board ``select`` chooses).

**Alternates.** Candidates off the board, in order, to call when a member steps down. A
candidate can step in for member m when the board without m and with the candidate meets
every rule; that is a recount (each rule's count moves by at most one), so no solver is
needed. The list is *greedy*: each next alternate is the candidate who can step in for the
most members not yet covered by the earlier ones (then for the most members overall, then the
tie-break order: higher score, luckier ticket). Greedy is not always the best cover by M
candidates, but it gives the convener an order to call people in, which an exact set does
not. Candidates who cannot step in for anyone are never listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from pydantic import BaseModel, Field

from balancer import explain
from balancer.engine.load import restate
from balancer.engine.model import BalanceModel, avoid_boards
from balancer.engine.problem import BalanceProblem
from balancer.engine.solve import Objective, default_workers, solve
from balancer.spec import tickets as lottery
from balancer.spec.errors import InputError, Problem, SolverError
from balancer.spec.outcomes import SolveStatus


class Alternative(BaseModel):
    """One of the N best distinct boards, with its objective values and its changes."""

    rank: int
    roster: list[str]
    max_gap: float | None
    total_gap: float | None
    max_gap_exact: str | None
    total_gap_exact: str | None
    tie_break: str = Field(description="'lottery' or the score column")
    tie_break_value: str = Field(
        description="the members' score total (higher wins), or their lottery total at the "
        "first level (lower wins), exact"
    )
    out: list[str] = Field(description="members of board 1 not on this board")
    incoming: list[str] = Field(description="members of this board not on board 1")


class Alternatives(BaseModel):
    """The boards found, best first; fewer than requested when no more boards exist."""

    requested: int
    min_difference: int
    boards: list[Alternative]
    exhausted: bool = Field(description="True when no further board differs enough")


class Alternate(BaseModel):
    """A candidate off the board, and the members they could replace."""

    rank: int
    id: str
    can_replace: list[str]


class Replacement(BaseModel):
    """Who steps in for a member: the first alternate in the list who can, or nobody."""

    member: str
    alternate: str | None


class Alternates(BaseModel):
    """The ordered list of alternates (greedy, see :mod:`balancer.selection.alternatives`)."""

    requested: int
    method: str = "greedy: most members not yet covered, then most members, then tie-break"
    alternates: list[Alternate]
    replacements: list[Replacement]


MOST_ALTERNATIVES = 1000
"""More alternative boards than anyone reads; each costs a solve, so a million never ends."""


def check_options(
    problem: BalanceProblem, alternatives: int, min_difference: int, alternates: int
) -> None:
    """Refuse impossible counts before solving, one line each."""
    problems = []
    n = problem.board_size
    if not 0 <= alternatives <= MOST_ALTERNATIVES:
        problems.append(
            Problem(
                "--alternatives",
                str(alternatives),
                f"must be between 0 and {MOST_ALTERNATIVES:,} (each is one more solve)",
            )
        )
    if not 1 <= min_difference <= n:
        problems.append(
            Problem(
                "--min-difference",
                str(min_difference),
                f"must be between 1 and the board size ({n})",
            )
        )
    if alternates < 0:
        problems.append(Problem("--alternates", str(alternates), "must be 0 or more"))
    if problems:
        raise InputError(problems)


# ---------------------------------------------------------------------------------------------
# The N best distinct boards
# ---------------------------------------------------------------------------------------------


def best_boards(
    problem: BalanceProblem,
    count: int,
    min_difference: int = 1,
    *,
    workers: int | None = None,
) -> list[list[int]]:
    """Up to ``count`` boards (sorted pool rows), best first, pairwise ``min_difference`` apart.

    Pairwise, because board k+1 is cut off from every earlier board, not just the first.
    """
    # problem.pool is prepared already: restate() does not normalise it a second time.
    person = restate(problem, source="alternatives", aggregate=False)
    boards: list[list[int]] = []
    while len(boards) < count:
        board = _best_avoiding(person, boards, min_difference, workers or default_workers())
        if board is None:
            break
        boards.append(board)
    return boards


def _best_avoiding(
    problem: BalanceProblem, boards: Sequence[Sequence[int]], distance: int, workers: int
) -> list[int] | None:
    """The best board far enough from ``boards``: ``select``'s own driver, with no-good cuts."""

    def cuts(handles: BalanceModel) -> list[Objective]:
        avoid_boards(handles, boards, distance)
        return []

    solution = solve(problem, workers=workers, before=cuts)
    if solution.status == SolveStatus.INFEASIBLE:
        return None
    if solution.status != SolveStatus.OPTIMAL:  # no time limit is set: only a solver failure
        raise SolverError(f"alternatives: the solve ended {solution.status}")
    return solution.rows


def alternatives(
    problem: BalanceProblem,
    count: int,
    min_difference: int = 1,
    *,
    workers: int | None = None,
) -> Alternatives:
    """The report section: the boards with their objective values and changes vs board 1."""
    boards = best_boards(problem, count, min_difference, workers=workers)
    ids = problem.ids
    first = {str(ids.iat[r]) for r in boards[0]} if boards else set()
    result = []
    for rank, rows in enumerate(boards, start=1):
        roster = [str(ids.iat[r]) for r in rows]
        balance = explain.balance(problem, rows)
        if problem.score_column is not None:
            value: Fraction | int = sum((problem.score(r) for r in rows), Fraction(0))
        else:
            value = sum(lottery.lottery_number(problem.ticket(r), 0) for r in rows)
        result.append(
            Alternative(
                rank=rank,
                roster=roster,
                max_gap=None if balance is None else balance.max_gap,
                total_gap=None if balance is None else balance.total_gap,
                max_gap_exact=None if balance is None else balance.max_gap_exact,
                total_gap_exact=None if balance is None else balance.total_gap_exact,
                tie_break=problem.score_column or "lottery",
                tie_break_value=str(value),
                out=sorted(first - set(roster)),
                incoming=sorted(set(roster) - first),
            )
        )
    return Alternatives(
        requested=count,
        min_difference=min_difference,
        boards=result,
        exhausted=len(boards) < count,
    )


# ---------------------------------------------------------------------------------------------
# Alternates
# ---------------------------------------------------------------------------------------------


def can_step_in(problem: BalanceProblem, rows: Sequence[int]) -> dict[int, list[int]]:
    """For every profile with a candidate off the board: the board rows it could replace.

    Candidates of one profile hold the same cells, so they count towards the same rules and
    can replace the same members; each rule's count moves by (candidate counts) - (member
    counts). Who counts towards what is read from the one recount
    (:func:`balancer.explain.rule_hits`), which splits multi-valued cells into their parts.
    """
    rules = problem.rules
    on_board = set(rows)
    waiting: dict[int, int] = {}  # profile -> one of its candidates off the board
    for p, profile in enumerate(problem.profiles):
        off = next((int(m) for m in profile.members if int(m) not in on_board), None)
        if off is not None:
            waiting[p] = off
    board_hits = explain.rule_hits(problem, rows).astype(int)
    counts = board_hits.sum(axis=0)
    incoming_hits = explain.rule_hits(problem, list(waiting.values())).astype(int)
    lo = np.array([rule.lo for rule in rules], dtype=int)
    hi = np.array([rule.hi for rule in rules], dtype=int)
    result: dict[int, list[int]] = {}
    for p, incoming in zip(waiting, incoming_hits, strict=True):
        after = counts - board_hits + incoming  # one row per member who steps down
        fine = ((after >= lo) & (after <= hi)).all(axis=1)
        result[p] = [row for row, ok in zip(rows, fine.tolist(), strict=True) if ok]
    return result


def alternates(problem: BalanceProblem, rows: Sequence[int], count: int) -> Alternates:
    """Up to ``count`` alternates, greedy (see the module docstring), and who replaces whom."""
    coverage = can_step_in(problem, rows)
    on_board = set(rows)
    next_member = {
        p: [int(m) for m in problem.profiles[p].members if int(m) not in on_board] for p in coverage
    }

    def order(row: int) -> tuple[int, int]:
        score = -problem.score_units(row) if problem.score_column is not None else 0
        return (score, problem.ticket(row))

    covered: set[int] = set()
    chosen: list[tuple[int, list[int]]] = []
    while len(chosen) < count:
        best: tuple[tuple[int, int, int, int], int, int] | None = None
        for p, replaceable in coverage.items():
            if not replaceable or not next_member[p]:
                continue
            row = next_member[p][0]
            fresh = sum(1 for m in replaceable if m not in covered)
            key = (-fresh, -len(replaceable), *order(row))
            if best is None or key < best[0]:
                best = (key, p, row)
        if best is None:
            break
        _, p, row = best
        next_member[p].pop(0)
        chosen.append((row, coverage[p]))
        covered |= set(coverage[p])
    ids = problem.ids
    replacements = []
    for member in rows:
        first = next((row for row, can in chosen if member in can), None)
        replacements.append(
            Replacement(
                member=str(ids.iat[member]),
                alternate=None if first is None else str(ids.iat[first]),
            )
        )
    return Alternates(
        requested=count,
        alternates=[
            Alternate(rank=k, id=str(ids.iat[row]), can_replace=[str(ids.iat[m]) for m in can])
            for k, (row, can) in enumerate(chosen, start=1)
        ],
        replacements=replacements,
    )
