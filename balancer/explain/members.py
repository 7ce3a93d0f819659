"""Why each member is on the board, and why a given candidate is not.

A member whose profile has an unchosen member is interchangeable with that candidate: the
board would be exactly as balanced with either, so the tie-break decided (no solve needed).
For the others the solver is asked for the best board without them. None at all: they are
required, and the rules that force them are found as a minimal conflict with their absence.
A worse one: they improve the balance, by the difference. An equal one: the tie-break
decided, between different profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from balancer.constraints import ID, Kind
from balancer.explain.infeasible import minimal_conflict
from balancer.explain.whatif import Gaps, Question, ask_all, fmt, gaps_of, parallel
from balancer.model import Patch
from balancer.problem import BalanceProblem
from balancer.solve import Solution

Reason = Literal["required", "improves balance", "tie-break"]
WhyNotReason = Literal["on the board", "excluded", "no board", "less balanced", "tie-break"]


class MemberReason(BaseModel):
    """Why one member is on the board."""

    id: str
    reason: Reason
    sentence: str
    forced_by: list[str] = []
    max_gap_without: float | None = None
    total_gap_without: float | None = None
    interchangeable: int = 0
    confidential: bool = False


class WhyNot(BaseModel):
    """Why one candidate is not on the board."""

    id: str
    reason: WhyNotReason
    sentence: str
    rules: list[str] = []
    max_gap_with: float | None = None
    total_gap_with: float | None = None


def _profile_of(problem: BalanceProblem) -> dict[int, int]:
    return {int(row): p for p, profile in enumerate(problem.profiles) for row in profile.members}


def _tie_break_words(problem: BalanceProblem) -> str:
    if problem.score_column is not None:
        return f"the higher {problem.score_column}, then the lottery"
    return "the lottery"


def _confidential(problem: BalanceProblem, rule_ids: Sequence[str]) -> bool:
    sensitive = set(problem.scenario.sensitive)
    by_id = {r.id: r for r in problem.rules}
    return any(set(by_id[r].where) & sensitive for r in rule_ids if r in by_id)


def explain_members(
    problem: BalanceProblem, solution: Solution, threads: int | None = None
) -> list[MemberReason]:
    """A reason for every member, in roster order."""
    chosen = gaps_of(problem, solution)
    assert chosen is not None
    profile_of = _profile_of(problem)
    counts = solution.counts
    ids = problem.ids
    included = {
        value: rule.id
        for rule in problem.rules
        if rule.kind is Kind.INCLUDE
        for value in rule.where.get(ID, ())
    }
    unique_rows = [
        r
        for r in solution.rows
        if problem.profiles[profile_of[r]].size <= counts[profile_of[r]]
        and str(ids.iat[r]) not in included
    ]
    swaps = _swaps(problem, solution, unique_rows)
    unique_rows = [r for r in unique_rows if not swaps.get(r)]
    questions = [
        Question(rules=tuple(problem.rules), patch=Patch(fewer={profile_of[r]: 1}))
        for r in unique_rows
    ]
    answers = dict(zip(unique_rows, ask_all(problem, questions, counts, threads), strict=True))
    needed = [r for r in unique_rows if gaps_of(problem, answers[r]) is None]
    forcing = dict(
        zip(
            needed,
            parallel(
                lambda r: minimal_conflict(problem, problem.rules, Patch(fewer={profile_of[r]: 1})),
                needed,
                threads,
            ),
            strict=True,
        )
    )
    reasons = []
    for row in solution.rows:
        cid = str(ids.iat[row])
        p = profile_of[row]
        spare = problem.profiles[p].size - counts[p] + swaps.get(row, 0)
        if cid in included:
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="required",
                    forced_by=[included[cid]],
                    sentence=f"{cid} is on the board because the scenario includes them.",
                )
            )
            continue
        if row not in answers:
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="tie-break",
                    interchangeable=spare,
                    sentence=(
                        f"Equally balanced boards exist without {cid}: {spare} other candidate"
                        f"{'s' * (spare != 1)} match{'es' * (spare == 1)} them on every criterion; "
                        f"{_tie_break_words(problem)} chose {cid}."
                    ),
                )
            )
            continue
        without = gaps_of(problem, answers[row])
        if without is None:
            rules = forcing.get(row) or []
            rule_ids = [r.id for r in rules]
            confidential = _confidential(problem, rule_ids)
            if confidential:
                sentence = (
                    f"No board meeting every criterion exists without {cid}: "
                    "a confidential criterion requires them."
                )
            else:
                what = "; ".join(r.description for r in rules)
                sentence = f"No board meeting every criterion exists without {cid}: {what}"
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="required",
                    sentence=sentence,
                    forced_by=rule_ids,
                    confidential=confidential,
                )
            )
        elif without.key() > chosen.key():
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="improves balance",
                    sentence=(
                        f"Every board without {cid} is less balanced: {_worse(chosen, without)}."
                    ),
                    max_gap_without=float(without.largest),
                    total_gap_without=float(without.total),
                )
            )
        else:
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="tie-break",
                    sentence=(
                        f"Equally balanced boards exist without {cid}, with candidates of other "
                        f"profiles; {_tie_break_words(problem)} chose {cid}."
                    ),
                )
            )
    return reasons


def _swaps(problem: BalanceProblem, solution: Solution, rows: Sequence[int]) -> dict[int, int]:
    """For each member, how many outsiders could take their seat with no change in balance.

    An outsider who matches the member on every quota, group and target column leaves every
    gap and every quota count as it was; if the swap also keeps every cap, an equally
    balanced board without the member exists, and no solve is needed to know it.
    """
    if not rows:
        return {}
    table = problem.pool.table
    named = {
        value
        for rule in problem.rules
        if rule.kind in {Kind.INCLUDE, Kind.EXCLUDE}
        for value in rule.where.get(ID, ())
    }
    outsiders = np.ones(len(table), dtype=bool)
    outsiders[list(solution.rows)] = False
    outsiders &= ~table[problem.pool.id_column].isin(named).to_numpy()
    criteria = problem.criteria_columns()
    keys = (
        table.groupby(criteria, sort=False).ngroup().to_numpy()
        if criteria
        else np.zeros(len(table), dtype=np.int64)
    )
    # Cap values already full on the board: an outsider with one of them may only come in for
    # a member who has the same value (and so frees the seat under that cap).
    full: dict[str, set[str]] = {}
    board = table.iloc[list(solution.rows)]
    for rule in problem.rules:
        if (
            rule.kind is Kind.CAP
            and rule.column is not None
            and rule.value is not None
            and int((board[rule.column] == rule.value).sum()) >= rule.hi
        ):
            full.setdefault(rule.column, set()).add(rule.value)
    cells = {column: table[column].to_numpy() for column in full}
    result: dict[int, int] = {}
    for row in rows:
        if str(problem.ids.iat[row]) in named:
            continue
        fits = outsiders & (keys == keys[row])
        for column, values in full.items():
            blocked = values - {str(cells[column][row])}
            if blocked:
                fits &= ~np.isin(cells[column], list(blocked))
        result[row] = int(fits.sum())
    return result


def _worse(chosen: Gaps, other: Gaps) -> str:
    if other.largest > chosen.largest:
        return (
            f"the largest gap would rise from {fmt(chosen.largest)} to {fmt(other.largest)} seats"
        )
    return f"the total gap would rise from {fmt(chosen.total)} to {fmt(other.total)} seats"


def why_not(problem: BalanceProblem, solution: Solution, candidate: str) -> WhyNot:
    """Why a candidate who is not on the board is not on it."""
    ids = list(problem.ids)
    if candidate not in ids:
        raise KeyError(candidate)
    row = ids.index(candidate)
    if row in solution.rows:
        return WhyNot(
            id=candidate,
            reason="on the board",
            sentence=f"{candidate} is on the board; their reason is given with the members.",
        )
    excluded = [
        r for r in problem.rules if r.kind is Kind.EXCLUDE and candidate in r.where.get(ID, ())
    ]
    if excluded:
        return WhyNot(
            id=candidate,
            reason="excluded",
            rules=[excluded[0].id],
            sentence=f"{candidate} is not on the board because the scenario excludes them.",
        )
    p = _profile_of(problem)[row]
    counts = solution.counts
    if counts[p] >= 1:
        return WhyNot(
            id=candidate,
            reason="tie-break",
            sentence=(
                f"{counts[p]} candidate{'s' * (counts[p] != 1)} who match {candidate} on every "
                f"criterion {'are' if counts[p] != 1 else 'is'} on the board; "
                f"{_tie_break_words(problem)} ranked "
                f"{'them' if counts[p] != 1 else 'that candidate'} first."
            ),
        )
    patch = Patch(at_least={p: 1})
    (answer,) = ask_all(problem, [Question(rules=tuple(problem.rules), patch=patch)], counts)
    chosen = gaps_of(problem, solution)
    assert chosen is not None
    with_them = gaps_of(problem, answer)
    if with_them is None:
        rules = minimal_conflict(problem, problem.rules, patch) or []
        return WhyNot(
            id=candidate,
            reason="no board",
            rules=[r.id for r in rules],
            sentence=(
                f"No board meeting every criterion includes {candidate}: "
                + "; ".join(r.description for r in rules)
            ),
        )
    if with_them.key() > chosen.key():
        return WhyNot(
            id=candidate,
            reason="less balanced",
            max_gap_with=float(with_them.largest),
            total_gap_with=float(with_them.total),
            sentence=f"Every board with {candidate} is less balanced: {_worse(chosen, with_them)}.",
        )
    return WhyNot(
        id=candidate,
        reason="tie-break",
        sentence=(
            f"A board with {candidate} can be equally balanced; {_tie_break_words(problem)} "
            "preferred the chosen members."
        ),
    )
