"""The typed outcomes every layer speaks: how a solve ended, and what a rule did to the board.

Both are string enums, so a JSON document holds the same words it always did ("optimal",
"binding", "tight, no cost"): ``report.json`` stays compatible, and code compares members,
not prose. The mapping from CP-SAT's status codes is written once, in
:func:`balancer.engine.solve.status_of`; this module does not import the solver.
"""

from __future__ import annotations

from enum import StrEnum


class SolveStatus(StrEnum):
    """How a solve ended: proven best, a board without proof, proven none, or no answer."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"

    @property
    def has_board(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


class RuleClass(StrEnum):
    """What a rule did to the chosen board (see :mod:`balancer.explain.costs`)."""

    BINDING = "binding"  # relaxing it would improve the balance
    TIGHT = "tight, no cost"  # met exactly, and relaxing it would not help
    SLACK = "slack"  # met with room to spare
    POOL_LIMITED = "pool-limited"  # met exactly because the pool has no more such candidates
    NOT_COMPUTED = "not computed"  # the explanation's work budget did not reach it
