"""The explanation's budget: how much work and memory the analysis after the board may take.

The board comes first; everything after it (prices, member reasons, why-not) is optional and
must never cost the board, or the machine. So the explanation runs within a budget that
scales with the problem and is counted deterministically, never in wall-clock seconds:

- **work**: CP-SAT's deterministic time, a multiple (:data:`WORK_FACTOR`) of what the main
  solve took, with a floor (:data:`WORK_FLOOR`) so small problems are always explained in
  full. Every what-if solve is limited to what is left, and the spending of a round of
  questions is summed after the round (a sum does not depend on which thread finished first),
  so the same inputs reach the same point on every machine.
- **questions**: at most :data:`QUESTIONS_PER_RULE` what-if solves per rule plus one per seat.
- **memory**: what-ifs run side by side only as far as their models fit in
  :data:`MEMORY_BYTES` together (estimated from the model's size); this changes how long the
  explanation takes, never what it says, since every what-if is a single-thread solve.

What the budget does not reach is reported as "not computed" with the reason, never dropped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from balancer.engine.problem import BalanceProblem
from balancer.engine.solve import Solution

WORK_FACTOR = 8.0
"""The explanation may spend this many times the main solve's deterministic time."""
WORK_FLOOR = 30.0
"""...and at least this much (a few seconds of CPU): small problems are always explained."""
QUESTIONS_PER_RULE = 6
MEMORY_BYTES = 2_500_000_000
"""Memory the side-by-side what-ifs may use together (the run's peak goal is 4 GB)."""
BYTES_PER_CELL = 4_000
"""Rough peak bytes of one CP-SAT what-if per (profile x rule it appears in), measured on the
100,000-candidate benchmark; only the number of parallel threads depends on it."""


@dataclass
class Budget:
    """Work left for the explanation, and how many what-ifs may run side by side."""

    work: float
    questions: int
    threads: int
    reasons: list[str] = field(default_factory=list)
    spent: float = 0.0
    asked: int = 0

    @classmethod
    def for_problem(
        cls, problem: BalanceProblem, solution: Solution, threads: int | None = None
    ) -> Budget:
        """The budget of one explanation, scaled to the problem and its main solve."""
        work = max(WORK_FLOOR, WORK_FACTOR * solution.work)
        questions = QUESTIONS_PER_RULE * len(problem.rules) + 2 * problem.board_size + 20
        cells = sum(len(profile.values) + 1 for profile in problem.profiles) + len(problem.rules)
        fit = max(1, MEMORY_BYTES // max(1, cells * BYTES_PER_CELL))
        cores = threads or max(1, os.cpu_count() or 1)
        return cls(work=work, questions=questions, threads=max(1, min(cores, fit)))

    @classmethod
    def unlimited(cls, threads: int | None = None) -> Budget:
        return cls(work=float("inf"), questions=2**62, threads=threads or (os.cpu_count() or 1))

    @property
    def left(self) -> float:
        return self.work - self.spent

    def allows(self, count: int) -> bool:
        """May ``count`` more questions be asked? (Counts them as asked when they may.)"""
        if count == 0:
            return True
        if self.asked + count > self.questions or self.left <= 0:
            return False
        self.asked += count
        return True

    def limit(self, count: int) -> float | None:
        """The work limit of each of ``count`` questions asked together: an equal share of
        what is left (None: no limit)."""
        if self.work == float("inf"):
            return None
        return self.left / max(1, count)

    def spend(self, answers: Sequence[Solution]) -> None:
        """Count a round's work, once the whole round is in (so the order does not matter)."""
        self.spent += sum(answer.work for answer in answers)

    def note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def words(self) -> str:
        return (
            f"the explanation's work budget ({self.work:.0f} units of CP-SAT deterministic time, "
            f"{WORK_FACTOR:g}x the board's solve, and at most {self.questions} what-if solves)"
        )
