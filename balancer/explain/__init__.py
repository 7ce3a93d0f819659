"""Explaining a selection: what the board achieves, what each rule costs, why each member.

The explanation is data first (pydantic models, all in ``report.json``), rendered second.
Submodules, in reading order: ``outcomes`` (recount of the board), ``whatif`` (re-solving
a changed question), ``costs`` (rule classes and prices), ``members`` (reasons per member and
why-not), ``supply`` (pool against quotas) and ``infeasible`` (conflicts and smallest fix).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pydantic import BaseModel, Field

from balancer.engine.problem import BalanceProblem
from balancer.engine.recount import (
    Balance,
    CompositionRow,
    RuleOutcome,
    balance,
    composition,
    rule_hits,
    rule_outcomes,
)
from balancer.engine.solve import Solution
from balancer.explain.budget import Budget
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
    not_computed: list[str] = Field(
        default_factory=list,
        description="what the explanation's work budget did not reach, and why",
    )
    work: float = Field(
        default=0.0,
        description="work the what-ifs took: CP-SAT deterministic time plus a charge per "
        "model built, by its size (see balancer.explain.budget)",
    )
    work_budget: float | None = Field(default=None, description="the budget they had")


def explain(
    problem: BalanceProblem,
    solution: Solution,
    outcomes: Sequence[RuleOutcome],
    *,
    why_not_ids: Sequence[str] = (),
    threads: int | None = None,
    progress: Progress | None = None,
    budget: Budget | None = None,
) -> Explanation:
    """The full explanation of a solved board (it re-solves: see :mod:`balancer.explain.costs`).

    ``progress`` hears one "explain" phase: rules screened and priced, then members. The
    what-ifs run within ``budget`` (by default :meth:`Budget.for_problem`: deterministic work
    and memory scaled to the problem); what it does not reach is listed in ``not_computed``.
    """
    started = time.perf_counter()
    budget = budget or Budget.for_problem(problem, solution, threads)
    with phase(progress, "explain") as reporter:
        rules, binding = explain_rules(problem, solution, outcomes, threads, reporter, budget)
        members = explain_members(problem, solution, threads, reporter, budget)
        answers = [why_not(problem, solution, cid) for cid in why_not_ids]
    return Explanation(
        rules=rules,
        members=members,
        why_not=answers,
        recruitment=advise(problem, binding),
        seconds=time.perf_counter() - started,
        not_computed=budget.reasons,
        work=budget.spent,
        work_budget=None if budget.work == float("inf") else budget.work,
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
    "rule_hits",
    "rule_outcomes",
    "supply",
]
