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
from fractions import Fraction
from typing import Literal

import numpy as np
from pydantic import BaseModel

from balancer.engine.model import Patch
from balancer.engine.problem import BalanceProblem
from balancer.engine.solve import Solution
from balancer.explain.budget import Budget
from balancer.explain.infeasible import minimal_conflict
from balancer.explain.whatif import (
    Gaps,
    Question,
    ask_all,
    fmt,
    gap_moves,
    gaps_of,
    moves_words,
    parallel,
)
from balancer.spec.progress import SILENT, Progress
from balancer.spec.rules import ID, Kind, Rule

Reason = Literal["required", "improves balance", "tie-break", "not computed"]
WhyNotReason = Literal["on the board", "excluded", "no board", "less balanced", "tie-break"]


class MemberReason(BaseModel):
    """Why one member is on the board."""

    id: str
    reason: Reason
    sentence: str
    forced_by: list[str] = []
    max_gap_without: float | None = None
    total_gap_without: float | None = None
    gap_changes: dict[str, float] = {}
    """Targeted column -> change of its gap in the best board without the member."""
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
    gap_changes: dict[str, float] = {}
    """Targeted column -> change of its gap in the best board with the candidate."""


def _profile_of(problem: BalanceProblem) -> np.ndarray:
    """The profile of every pool row, as an array indexed by row."""
    owner = np.empty(len(problem.pool.table), dtype=np.int64)
    for p, profile in enumerate(problem.profiles):
        owner[profile.members] = p
    return owner


def _tie_break_words(problem: BalanceProblem) -> str:
    if problem.score_column is not None:
        return f"the higher {problem.score_column}, then the lottery"
    return "the lottery"


def _confidential(problem: BalanceProblem, rule_ids: Sequence[str]) -> bool:
    sensitive = set(problem.scenario.sensitive)
    by_id = {r.id: r for r in problem.rules}
    return any(set(by_id[r].where) & sensitive for r in rule_ids if r in by_id)


def explain_members(
    problem: BalanceProblem,
    solution: Solution,
    threads: int | None = None,
    progress: Progress = SILENT,
    budget: Budget | None = None,
) -> list[MemberReason]:
    """A reason for every member, in roster order (``progress`` hears members asked about).

    Members whose what-if ``budget`` does not reach, or whose what-if it cuts short, get the
    reason "not computed", never a guessed one.
    """
    budget = budget or Budget.unlimited(threads)
    threads = budget.threads
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
    # Outsiders who could take each member's seat with the balance unchanged: the member's own
    # unchosen profile-mates, and candidates alike on every criterion whose cap values fit.
    swaps = _swaps(problem, solution, solution.rows)
    unique_rows = [r for r in solution.rows if not swaps.get(r) and str(ids.iat[r]) not in included]
    questions = [
        Question(rules=tuple(problem.rules), patch=Patch(fewer={profile_of[r]: 1}))
        for r in unique_rows
    ]
    asked = 0
    progress.step("explain", asked, len(questions), "members")

    def heard(_: int, __: Solution) -> None:
        nonlocal asked
        asked += 1
        progress.step("explain", asked, len(questions), "members")

    answers: dict[int, Solution] = {}
    unknown: dict[int, str] = {}
    if budget.allows(len(questions)):
        asked_all = ask_all(
            problem, questions, counts, threads, None, heard, budget.limit(len(questions))
        )
        budget.spend(asked_all)
        for row, answer in zip(unique_rows, asked_all, strict=True):
            if answer.status in ("optimal", "infeasible"):
                answers[row] = answer
            else:
                unknown[row] = "its what-if solve reached its share of the work budget"
    else:
        unknown = {row: f"not reached within {budget.words()}" for row in unique_rows}
    if unknown:
        budget.note(f"{len(unknown)} member reasons: " + next(iter(unknown.values())))
    needed = [r for r in answers if gaps_of(problem, answers[r]) is None]
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
        spare = swaps.get(row, 0)
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
        if row in unknown:
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="not computed",
                    sentence=f"Why {cid} is on the board was not computed ({unknown[row]}).",
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
                        f"{'s' * (spare != 1)} could take this seat with every criterion still "
                        f"met and the balance unchanged; {_tie_break_words(problem)} chose {cid}."
                    ),
                )
            )
            continue
        without = gaps_of(problem, answers[row])
        if without is None:
            # No rule but the board size itself: the pool cannot fill the board without them.
            rules = forcing.get(row) or [r for r in problem.rules if r.kind is Kind.BOARD_SIZE]
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
            moves = _shown(problem, gap_moves(problem, counts, answers[row].counts))
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="improves balance",
                    sentence=(
                        f"Every board without {cid} is less balanced: {_worse(chosen, without)}"
                        f"{_by_column(moves)}."
                    ),
                    max_gap_without=float(without.largest),
                    total_gap_without=float(without.total),
                    gap_changes={c: float(v) for c, v in moves.items()},
                )
            )
        else:
            reasons.append(
                MemberReason(
                    id=cid,
                    reason="tie-break",
                    sentence=(
                        f"Equally balanced boards exist without {cid}, though no one outsider can "
                        f"take their seat alone; {_tie_break_words(problem)} chose {cid}."
                    ),
                )
            )
    return reasons


def _swaps(problem: BalanceProblem, solution: Solution, rows: Sequence[int]) -> dict[int, int]:
    """For each member, how many outsiders could take their seat with the balance unchanged.

    Swapping one member for one outsider moves one seat between two profiles, so every rule
    count and every gap changes by at most one seat, and whether the swap keeps every rule
    and both gap figures can be read off the counts without a solve. When such an outsider
    exists, an equally balanced board without the member exists: the tie-break decided.
    """
    if not rows:
        return {}
    profiles = problem.profiles
    counts = np.array(solution.counts, dtype=np.int64)
    # Only rules the board meets at one of their limits can break a swap: a rule at its
    # maximum, for an outsider who counts towards it, or at its minimum, for a member who
    # counts towards it (then it holds a seat, so a rule at a minimum of 0 without seats
    # cannot). With a cap per organisation that is a few dozen rules of tens of thousands;
    # a profiles x rules matrix of all of them took 3 GB at 20,000 candidates and 24 GB at
    # 100,000 (issue 13). Leaving the others out changes no answer.
    limited: list[Rule] = []
    limited_profiles: list[list[int]] = []
    for rule in problem.rules:
        matching = problem.profiles_matching(rule.where)
        seats_in = int(counts[np.asarray(matching, dtype=np.int64)].sum()) if matching else 0
        if seats_in >= rule.hi or 1 <= seats_in <= rule.lo:
            limited.append(rule)
            limited_profiles.append(matching)
    in_rule = np.zeros((len(profiles), len(limited)), dtype=np.int64)
    for k, matching in enumerate(limited_profiles):
        in_rule[matching, k] = 1
    seats = counts @ in_rule
    lo = np.array([r.lo for r in limited], dtype=np.int64)
    hi = np.array([r.hi for r in limited], dtype=np.int64)
    _, targets = problem.scaled_targets
    in_term = np.zeros((len(profiles), len(targets)), dtype=np.int64)
    for k, target in enumerate(targets):
        in_term[target.profiles, k] = 1
    coefficient = np.array([t.coefficient for t in targets], dtype=np.int64)
    offset = np.array([t.offset for t in targets], dtype=np.int64)
    term_seats = counts @ in_term
    chosen = np.abs(coefficient * term_seats - offset)
    best = (chosen.max(initial=0), chosen.sum())
    spare = np.array([p.size for p in profiles], dtype=np.int64) - counts
    profile_of = _profile_of(problem)
    by_profile: dict[int, int] = {}  # members of one profile have the same outsiders
    result: dict[int, int] = {}
    for row in rows:
        own = int(profile_of[row])
        if own not in by_profile:
            moved = in_rule - in_rule[own]  # +1: the outsider counts and the member did not
            broken = ((moved > 0) & (seats >= hi)) | ((moved < 0) & (seats <= lo))
            fits = ~broken.any(axis=1)
            if targets:
                gaps = np.abs(coefficient * (term_seats + in_term - in_term[own]) - offset)
                fits &= (gaps.max(axis=1) == best[0]) & (gaps.sum(axis=1) == best[1])
            by_profile[own] = int(spare[fits].sum())
        result[row] = by_profile[own]
    return result


def _shown(problem: BalanceProblem, moves: dict[str, Fraction]) -> dict[str, Fraction]:
    """Gap changes safe to show per person: a sensitive column's becomes "confidential".

    Saying that the disability gap moves without a member would say their disability.
    """
    sensitive = set(problem.scenario.sensitive)
    shown = {c: v for c, v in moves.items() if c not in sensitive}
    hidden = [v for c, v in moves.items() if c in sensitive]
    if hidden:
        shown["a confidential criterion"] = sum(hidden, Fraction(0))
    return shown


def _by_column(moves: dict[str, Fraction]) -> str:
    """The columns behind a worse balance, for the best such board the solver found."""
    return f" (in the best such board, {moves_words(moves)})" if moves else ""


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
        moves = _shown(problem, gap_moves(problem, counts, answer.counts))
        return WhyNot(
            id=candidate,
            reason="less balanced",
            max_gap_with=float(with_them.largest),
            total_gap_with=float(with_them.total),
            gap_changes={c: float(v) for c, v in moves.items()},
            sentence=(
                f"Every board with {candidate} is less balanced: {_worse(chosen, with_them)}"
                f"{_by_column(moves)}."
            ),
        )
    return WhyNot(
        id=candidate,
        reason="tie-break",
        sentence=(
            f"A board with {candidate} can be equally balanced; {_tie_break_words(problem)} "
            "preferred the chosen members."
        ),
    )
