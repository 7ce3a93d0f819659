"""The explanation's budget: how much work and memory the analysis after the board may take.

The board comes first; everything after it (prices, member reasons, why-not) is optional and
must never cost the board, or the machine. So the explanation runs within a budget that
scales with the problem and is counted deterministically, never in wall-clock seconds:

- **work**: CP-SAT's deterministic time plus a charge for building each model
  (:data:`WORK_PER_CELL` per cell of it), a multiple (:data:`WORK_FACTOR`) of what the main
  solve took counted the same way, with a floor (:data:`WORK_FLOOR`) so small problems are
  always explained in full. The model charge is there because on capped pools (one rule per
  organisation) a what-if's search is tiny and its cost is building and loading a model of
  every profile and every cap value: counted in search time alone, the budget never bound
  there. Every what-if solve is limited to what is left, and the spending of a round of
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
"""Rough peak bytes of one CP-SAT what-if per cell of its model (see :func:`model_cells`),
measured on the 100,000-candidate benchmark; only the number of parallel threads depends on
it."""
WORK_PER_CELL = 3e-6
"""Work charged per model cell for building one what-if's model in Python and loading it into
CP-SAT (about 0.5 s for the 160,000 cells of 20,000 candidates with one per organisation,
where CP-SAT counted 0.01 for the search). A constant, so the charge is deterministic."""


def model_cells(problem: BalanceProblem) -> int:
    """The size of one what-if's model: a seat count per profile, plus every profile's place
    in every rule and target (what building and loading the model is proportional to)."""
    cells = len(problem.profiles)
    for rule in problem.rules:
        cells += len(problem.profiles_matching(rule.where))
    for term in problem.targets:
        cells += len(problem.profiles_matching({term.column: frozenset([term.value])}))
    return cells


@dataclass
class Budget:
    """Work left for the explanation, and how many what-ifs may run side by side."""

    work: float
    questions: int
    threads: int
    per_model: float = 0.0  # work charged for building one what-if model (see WORK_PER_CELL)
    reasons: list[str] = field(default_factory=list)
    spent: float = 0.0
    asked: int = 0

    @classmethod
    def for_problem(
        cls, problem: BalanceProblem, solution: Solution, threads: int | None = None
    ) -> Budget:
        """The budget of one explanation, scaled to the problem and its main solve.

        The main solve is counted like a what-if: its search plus two models built (the lean
        one and the full one of the tie-break).
        """
        cells = model_cells(problem)
        per_model = WORK_PER_CELL * cells
        work = max(WORK_FLOOR, WORK_FACTOR * (solution.work + 2 * per_model))
        questions = QUESTIONS_PER_RULE * len(problem.rules) + 2 * problem.board_size + 20
        fit = max(1, MEMORY_BYTES // max(1, cells * BYTES_PER_CELL))
        cores = threads or max(1, os.cpu_count() or 1)
        return cls(
            work=work, questions=questions, threads=max(1, min(cores, fit)), per_model=per_model
        )

    @classmethod
    def unlimited(cls, threads: int | None = None) -> Budget:
        return cls(work=float("inf"), questions=2**62, threads=threads or (os.cpu_count() or 1))

    @property
    def left(self) -> float:
        return self.work - self.spent

    def allows(self, count: int, models: int = 1) -> bool:
        """May ``count`` more questions be asked, each building ``models`` models? (Counts
        them as asked when they may: what is left must pay for their models and more.)"""
        if count == 0:
            return True
        if self.asked + count > self.questions:
            return False
        if self.left - count * models * self.per_model <= 0:
            return False
        self.asked += count
        return True

    def limit(self, count: int, models: int = 1) -> float | None:
        """The search limit of each of ``count`` questions asked together: an equal share of
        what is left once their models are paid for (None: no limit)."""
        if self.work == float("inf"):
            return None
        return max(0.0, self.left - count * models * self.per_model) / max(1, count)

    def spend(self, answers: Sequence[Solution], models: int = 1) -> None:
        """Count a round's work, once the whole round is in (so the order does not matter):
        each answer's search and its models."""
        searched = sum(answer.work for answer in answers)
        self.spent += searched + len(answers) * models * self.per_model

    def note(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def words(self) -> str:
        return (
            f"the explanation's work budget ({self.work:.0f} units of CP-SAT deterministic time "
            f"and model building, {WORK_FACTOR:g}x the board's solve, and at most "
            f"{self.questions} what-if solves)"
        )
