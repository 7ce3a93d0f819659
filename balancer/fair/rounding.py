"""From a distribution over compositions to a uniform lottery over M concrete boards.

A public draw needs a finite, numbered list that anyone can check: M boards, each drawn with
probability 1/M. Two roundings happen, and both are measured, not assumed:

1. weights to multiples of 1/M (largest remainder: each weight moves by less than 1/M);
2. seats of a profile to its members: the seats a profile gets over all M boards are dealt
   round-robin through its members (in lottery-ticket order), so every member is seated in
   ``floor`` or ``ceil`` of ``seats / |p|`` boards, and no board seats anyone twice (a board
   never asks a profile for more seats than it has members).

A candidate's lottery probability is then (boards seating them) / M. The loss against the
exact probability is at most ``sum_b |m_b/M - w_b| c_bp / |p|`` (step 1) plus ``1/M``
(step 2); :func:`round_lottery` reports both the bound and the loss it actually got.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from balancer.engine.problem import BalanceProblem
from balancer.fair.columns import Composition


@dataclass
class RoundedLottery:
    """M boards as sorted pool row positions, and what the rounding cost."""

    boards: list[list[int]]
    counts: list[int]  # per composition: how many of the M boards have it
    seated: list[int]  # per pool row: boards that seat them
    bound: float  # the guaranteed largest loss of any candidate's probability
    worst_loss: float  # the largest loss that happened
    worst_gain: float  # the largest gain that happened


def multiples(weights: Sequence[float], total: int) -> list[int]:
    """Whole counts summing to ``total``, each within one of ``weight x total``.

    Largest remainder; ties go to the earlier composition so the result is reproducible.
    """
    exact = [w * total for w in weights]
    counts = [math.floor(e) for e in exact]
    short = total - sum(counts)
    order = sorted(range(len(exact)), key=lambda j: (-(exact[j] - counts[j]), j))
    for j in order[:short]:
        counts[j] += 1
    return counts


def round_lottery(
    problem: BalanceProblem,
    compositions: Sequence[Composition],
    weights: Sequence[float],
    probabilities: Sequence[float],
    boards: int = 1000,
) -> RoundedLottery:
    """The M-board lottery closest to the distribution, with its loss bound and actual loss."""
    counts = multiples(weights, boards)
    sequence = np.repeat(np.arange(len(counts)), counts)
    table = np.asarray(compositions, dtype=np.int64).reshape(len(compositions), -1)
    dealt = table[sequence]  # seats of each profile on each of the M boards, in order
    rows: list[list[int]] = [[] for _ in range(len(sequence))]
    seated = [0] * len(problem.pool.table)
    for p, profile in enumerate(problem.profiles):
        members = [int(m) for m in profile.members]
        pointer = 0
        for number in np.flatnonzero(dealt[:, p]).tolist():
            for _ in range(int(dealt[number, p])):
                member = members[pointer % len(members)]
                rows[number].append(member)
                seated[member] += 1
                pointer += 1
    moved = np.abs(np.asarray(counts, dtype=float) / boards - np.asarray(weights, dtype=float))
    sizes = np.array([profile.size for profile in problem.profiles], dtype=float)
    bound = (moved @ table / sizes + 1 / boards).tolist()
    loss, gain, worst = 0.0, 0.0, 0.0
    for p, profile in enumerate(problem.profiles):
        worst = max(worst, bound[p])
        for member in profile.members:
            change = seated[int(member)] / boards - probabilities[p]
            loss = max(loss, -change)
            gain = max(gain, change)
    return RoundedLottery(
        boards=[sorted(r) for r in rows],
        counts=counts,
        seated=seated,
        bound=worst,
        worst_loss=loss,
        worst_gain=gain,
    )
