"""Explaining a selection: what the board achieves, what each rule costs, why each member.

The explanation is data first (pydantic models, all in ``report.json``), rendered second.
Submodules, in reading order: ``outcomes`` (recount of the board), ``whatif`` (re-solving
a changed question), ``costs`` (rule classes and prices), ``members`` (reasons per member and
why-not), ``supply`` (pool against quotas) and ``infeasible`` (conflicts and smallest fix).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel

from balancer.engine.problem import BalanceProblem
from balancer.engine.recount import (
    Balance,
    CompositionRow,
    RuleOutcome,
    balance,
    composition,
    rule_outcomes,
)
from balancer.engine.solve import Solution
from balancer.explain.costs import RuleExplanation, explain_rules
from balancer.explain.infeasible import Conflict, Diagnosis, Relaxation, diagnose, minimal_conflict
from balancer.explain.members import MemberReason, WhyNot, explain_members, why_not
from balancer.explain.recruit import Recruitment, advise
from balancer.explain.supply import SupplyRow, supply
from balancer.spec.progress import Progress, phase


class Explanation(BaseModel):
    """Why the board is what it is: every rule's class and price, every member's reason."""

    rules: list[RuleExplanation]
    members: list[MemberReason]
    why_not: list[WhyNot]
    recruitment: list[Recruitment]
    seconds: float


def explain(
    problem: BalanceProblem,
    solution: Solution,
    outcomes: Sequence[RuleOutcome],
    *,
    why_not_ids: Sequence[str] = (),
    threads: int | None = None,
    progress: Progress | None = None,
) -> Explanation:
    """The full explanation of a solved board (it re-solves: see :mod:`balancer.explain.costs`).

    ``progress`` hears one "explain" phase: rules screened and priced, then members.
    """
    started = time.perf_counter()
    with phase(progress, "explain") as reporter:
        rules, binding = explain_rules(problem, solution, outcomes, threads, reporter)
        members = explain_members(problem, solution, threads, reporter)
        answers = [why_not(problem, solution, cid) for cid in why_not_ids]
    return Explanation(
        rules=rules,
        members=members,
        why_not=answers,
        recruitment=advise(problem, binding),
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "Balance",
    "CompositionRow",
    "Conflict",
    "Diagnosis",
    "Explanation",
    "MemberReason",
    "Recruitment",
    "Relaxation",
    "RuleExplanation",
    "RuleOutcome",
    "SupplyRow",
    "WhyNot",
    "balance",
    "composition",
    "diagnose",
    "explain",
    "minimal_conflict",
    "rule_outcomes",
    "supply",
]
