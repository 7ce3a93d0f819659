"""What-if solves: the same problem with a rule relaxed, a member out, or a candidate in.

Every explanation is a comparison between the chosen board and the best board under a
changed question. The questions are independent, so they run side by side on a thread pool
(CP-SAT releases the interpreter lock while it searches), each solver on one thread, and each
starts from the chosen board as a hint.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from balancer.engine.model import LeanTemplate, Patch, lean_template
from balancer.engine.problem import BalanceProblem, gap_scale
from balancer.engine.solve import Solution, solve
from balancer.spec.rules import Rule

LARGE_PROFILES = 5_000
"""From this many profiles a what-if keeps CP-SAT's presolve (see :func:`ask`)."""
WHATIF_MEMORY_MB = 3_000
"""A what-if stops, unfinished (its answer "not computed"), when the process passes this."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Gaps:
    """Largest and total weighted gap, exact; ``None`` stands for "no board at all"."""

    largest: Fraction
    total: Fraction

    def key(self) -> tuple[Fraction, Fraction]:
        return (self.largest, self.total)

    def words(self) -> str:
        return f"largest gap {fmt(self.largest)}, total gap {fmt(self.total)} seats"


def fmt(value: Fraction | float) -> str:
    """A seat figure as a person reads it: at most two decimals."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


@dataclass(frozen=True)
class Question:
    """One what-if: which rules hold, and how the pool is patched."""

    rules: tuple[Rule, ...]
    patch: Patch | None = None
    full: bool = False  # also break ties, to name the board (who comes in and goes out)
    # The lean answer to this same question, when it was asked already (see engine.solve)
    balanced: Solution | None = field(default=None, compare=False)
    # The problem's lean and full models to copy instead of building them (see template_for)
    template: LeanTemplate | None = field(default=None, compare=False)
    full_template: LeanTemplate | None = field(default=None, compare=False)


def template_for(problem: BalanceProblem, *, full: bool = False) -> LeanTemplate | None:
    """A lean (or full) template for the questions that only drop or move rules, where
    :func:`ask` solves them the quick way (small problems); None where it would not be used."""
    if len(problem.profiles) > LARGE_PROFILES:
        return None
    return lean_template(problem, full=full)


def gaps_of(problem: BalanceProblem, solution: Solution) -> Gaps | None:
    """The exact gaps of a solution, or None when it found no board."""
    if solution.status not in {"optimal", "feasible"}:
        return None
    if solution.gap_values is None:
        return Gaps(Fraction(0), Fraction(0))
    scale = gap_scale(problem.targets)
    largest, total = solution.gap_values
    return Gaps(Fraction(largest, scale), Fraction(total, scale))


def column_gaps(problem: BalanceProblem, counts: Sequence[int]) -> dict[str, Fraction]:
    """Each targeted column's total weighted gap for a board given as seats per profile."""
    gaps: dict[str, Fraction] = {}
    for term in problem.targets:
        matching = problem.profiles_matching({term.column: frozenset([term.value])})
        seats = sum(counts[p] for p in matching if p < len(counts))
        gap = abs(seats - term.seats) * term.weight
        gaps[term.column] = gaps.get(term.column, Fraction(0)) + gap
    return gaps


def gap_moves(
    problem: BalanceProblem, before: Sequence[int], after: Sequence[int]
) -> dict[str, Fraction]:
    """The columns whose total gap differs between two boards, with the change (after - before).

    Several boards can share the best balance under a question; this names the columns for
    the one the solver found, which is why the sentences say "in the best such board".
    """
    if not before or not after:
        return {}
    old, new = column_gaps(problem, before), column_gaps(problem, after)
    return {c: new[c] - old[c] for c in sorted(old) if new[c] != old[c]}


def moves_words(moves: dict[str, Fraction]) -> str:
    """ "gender: the gap would rise by 1; un_region: the gap would fall by 2" """
    return "; ".join(
        f"{column}: the gap would {'rise' if change > 0 else 'fall'} by {fmt(abs(change))}"
        for column, change in moves.items()
    )


def ask(
    problem: BalanceProblem,
    question: Question,
    hint: Sequence[int] | None,
    at_most: Gaps | None = None,
    work_limit: float | None = None,
) -> Solution:
    """Solve one what-if; ``at_most`` bounds the largest gap when the change can only help.

    ``work_limit`` (deterministic time) may end it before its proof: the answer is then
    "feasible" (a board, not proven best) or "unknown".
    """
    # Large what-ifs keep presolve (without it CP-SAT's LP grew past 6 GB on 100,000
    # candidates with one per organisation) and stop, unfinished, above WHATIF_MEMORY_MB.
    large = len(problem.profiles) > LARGE_PROFILES
    # Small what-ifs are solved the quick way (see engine.solve.new_solver); large ones keep
    # the defaults, as they were measured with. Prices read gaps alone and named boards a
    # board the lottery decides. The member what-ifs (a member out: ``fewer`` only) also read
    # the board their lean search found ("in the best such board"): the quick search may find
    # another of the equally balanced boards than the default one would, but on one worker
    # it is the same one on every run, and their gaps are proven optima either way. On the
    # 200-seat case the member what-ifs took 0.82 work units the default way and 0.17 quick,
    # describing the same boards. The why-not what-ifs (a candidate in: ``at_least``) keep
    # the default search: they were not measured.
    patch = question.patch
    quick = not large and (patch is None or not patch.at_least)
    cap = None
    if at_most is not None and problem.targets:
        cap = int(at_most.largest * gap_scale(problem.targets))
    return solve(
        problem,
        workers=1,
        rules=question.rules,
        patch=question.patch,
        balance_only=not question.full,
        hint=hint,
        max_gap_at_most=cap,
        presolve=large,
        prove_unique=False,
        work_limit=work_limit,
        memory_mb=WHATIF_MEMORY_MB,
        balanced=question.balanced,
        quick=quick,
        template=question.template if quick else None,
        full_template=question.full_template if quick else None,
    )


def parallel(
    function: Callable[[T], R],
    items: Sequence[T],
    threads: int | None = None,
    on_answer: Callable[[int, R], None] | None = None,
) -> list[R]:
    """Map over independent what-ifs on all cores, keeping the input order.

    ``on_answer(index, answer)`` is called as each item is done (one call at a time, in the
    order they finish), for progress; what it does cannot change the answers.
    """
    lock = threading.Lock()

    def run(pair: tuple[int, T]) -> R:
        answer = function(pair[1])
        if on_answer is not None:
            with lock:
                on_answer(pair[0], answer)
        return answer

    threads = threads or max(1, min(len(items), os.cpu_count() or 1))
    if threads <= 1 or len(items) <= 1:
        return [run(pair) for pair in enumerate(items)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, enumerate(items)))


def ask_all(
    problem: BalanceProblem,
    questions: Sequence[Question],
    hint: Sequence[int] | None = None,
    threads: int | None = None,
    at_most: Gaps | None = None,
    on_answer: Callable[[int, Solution], None] | None = None,
    work_limit: float | None = None,
) -> list[Solution]:
    return parallel(
        lambda q: ask(problem, q, hint, at_most, work_limit), questions, threads, on_answer
    )
