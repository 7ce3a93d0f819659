"""Auditing a board that was not chosen by balancer: one made by hand, or last year's.

A convener who inherits a board wants to know three things: which criteria it meets (and by
how many seats it misses the others), how far it is from the best balance the pool allows, and
the least disruptive way to fix it. The first two are a recount; the third is an exact CP-SAT
question, "the fewest members changed such that every rule holds (and, second, such that the
balance is optimal too)", answered by ``select``'s driver with the number of changes as the
objective ahead of its order, so among equally small fixes the same yardstick decides.

Roster rows whose id is in the scenario's pool are matched to the pool row (the pool's values
count); roster rows that are not in the pool are added to it, so they can stay on the board,
but only pool candidates can come in. Without the pool file the roster itself is the pool, and
only the recount is possible.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from markupsafe import Markup
from pydantic import BaseModel, Field

from balancer import explain
from balancer.engine.load import prepare, read_roster, roster_as_pool, with_roster
from balancer.engine.model import BalanceModel, add_changes, fix_gaps
from balancer.engine.problem import BalanceProblem, gap_scale
from balancer.engine.solve import Objective, default_workers, solve
from balancer.explain.whatif import fmt, gaps_of
from balancer.io.files import load_scenario
from balancer.io.provenance import Provenance, provenance, shown_name
from balancer.present.render import render
from balancer.spec.outcomes import SolveStatus
from balancer.spec.progress import Progress
from balancer.spec.rules import ID


class AuditRule(BaseModel):
    """One constraint against the audited board: met, or missed by how many seats."""

    id: str
    kind: str
    description: str
    min: int
    max: int
    achieved: int
    met: bool
    short_by: int = Field(description="seats below the minimum (0 when met)")
    over_by: int = Field(description="seats above the maximum (0 when met)")
    confidential: bool = False
    assessable: bool = Field(
        default=True,
        description="False when members whose value is 'unknown' could decide the verdict "
        "either way (data never collected or published): neither met nor missed",
    )
    unknown: int = Field(
        default=0, description="members whose value for the rule's column(s) is 'unknown'"
    )


class Fix(BaseModel):
    """The fewest changes that turn the audited board into one meeting a goal."""

    goal: str
    possible: bool
    changes: int = Field(default=0, description="members out plus candidates in")
    out: list[str] = Field(default_factory=list)
    incoming: list[str] = Field(default_factory=list)
    objective: explain.Balance | None = None


class AuditReport(BaseModel):
    """The audit of one board against one scenario (``report.json`` of ``balancer check``)."""

    scenario: str
    roster_file: str
    roster_sha256: str
    board_size: int
    members: list[str]
    not_in_pool: list[str] = Field(
        description="roster ids not found in the pool (they may stay; they cannot be swapped in)"
    )
    pool_available: bool
    met: bool = Field(description="True when the board meets every constraint")
    violated: int = Field(description="constraints known to be missed")
    not_assessable: int = Field(
        default=0, description="constraints the 'unknown' cells leave undecided (not misses)"
    )
    constraints: list[AuditRule]
    composition: list[explain.CompositionRow]
    objective: explain.Balance | None
    optimum: explain.Balance | None = Field(
        default=None, description="the best balance any board from the pool meeting every rule has"
    )
    optimum_possible: bool | None = None
    largest_gap_above_optimum: float | None = None
    total_gap_above_optimum: float | None = None
    to_meet_rules: Fix | None = None
    to_optimum: Fix | None = None
    warnings: list[str] = Field(default_factory=list)
    provenance: Provenance


def audit(
    roster_path: str | Path,
    scenario_path: str | Path,
    *,
    workers: int | None = None,
    command: str | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Audit the board in ``roster_path`` against a scenario; raises InputError on bad input.

    ``progress`` hears the read, the check and each solve (the optimum, then the two fixes).

    The roster comes in through :func:`balancer.engine.load.read_roster`: ids only, a roster
    balancer wrote, or a raw export with the convener's own headers.
    """
    file = load_scenario(scenario_path)
    spec = file.scenario
    available = file.pool_path.exists()
    pool_problem = None
    if available:
        pool_problem, _ = prepare(file, progress=progress)
        roster = read_roster(roster_path, pool_problem, file, outsiders=True)
        problem = with_roster(pool_problem, roster, str(file.path))
    else:
        roster = read_roster(roster_path, None, file, outsiders=True)
        problem, _ = prepare(
            spec, roster_as_pool(roster, file), source=str(file.path), progress=progress
        )
    position = {str(cid): i for i, cid in enumerate(problem.ids.tolist())}
    rows = sorted(position[cid] for cid in roster.ids)
    unknown = _unknown_members(problem, rows)
    outcomes = [_judge(o, unknown.get(o.id, 0)) for o in explain.rule_outcomes(problem, rows)]
    violated = sum(not r.met and r.assessable for r in outcomes)
    undecided = sum(not r.assessable for r in outcomes)
    report = AuditReport(
        scenario=spec.name,
        roster_file=shown_name(Path(roster_path), file.path.parent) or str(roster_path),
        roster_sha256=roster.sha256,
        board_size=spec.board_size,
        members=roster.ids,
        not_in_pool=roster.not_in_pool if available else [],
        pool_available=available,
        met=violated == 0 and undecided == 0,
        violated=violated,
        not_assessable=undecided,
        constraints=outcomes,
        composition=explain.composition(problem, rows),
        objective=explain.balance(problem, rows),
        warnings=list(problem.warnings),
        provenance=provenance(file, pool_problem.pool if pool_problem else None, command=command),
    )
    if available:
        # Fixes are asked of the rules that can be judged: a rule the unknowns leave open
        # cannot be "fixed" by swapping in a candidate known to meet it.
        open_ids = {r.id for r in outcomes if not r.assessable}
        judged = dataclasses.replace(
            problem, rules=[r for r in problem.rules if r.id not in open_ids]
        )
        judged._index = problem._index
        _compare_with_optimum(report, judged, rows, workers or default_workers(), progress)
    return report


UNKNOWN = "unknown"
"""The cell that says a value is not known (the README's advice for empty cells)."""


def _unknown_members(problem: BalanceProblem, rows: Sequence[int]) -> dict[str, int]:
    """Per rule, the board members whose value of one of its columns is 'unknown'.

    Such a member may or may not count towards the rule, so they widen what the board
    achieves from "the known matches" to "the known matches plus them".
    """
    board = problem.pool.table.iloc[list(rows)]
    result: dict[str, int] = {}
    for rule in problem.rules:
        undecided = np.zeros(len(board), dtype=bool)
        for column, allowed in rule.where.items():
            if column == ID or column not in board.columns or UNKNOWN in allowed:
                continue
            undecided |= (board[column].str.casefold() == UNKNOWN).to_numpy(dtype=bool)
        if undecided.any():
            result[rule.id] = int(undecided.sum())
    return result


def _judge(outcome: explain.RuleOutcome, unknown: int = 0) -> AuditRule:
    """Met, missed (whatever the unknown cells hold), or not assessable (they decide it)."""
    achieved = outcome.achieved or 0
    most = achieved + unknown  # if every unknown member counted
    short = max(0, outcome.min - most)
    over = max(0, achieved - outcome.max)
    met = achieved >= outcome.min and most <= outcome.max
    assessable = met or short > 0 or over > 0
    return AuditRule(
        id=outcome.id,
        kind=outcome.kind,
        description=outcome.description,
        min=outcome.min,
        max=outcome.max,
        achieved=achieved,
        met=met,
        short_by=short,
        over_by=over,
        confidential=outcome.confidential,
        assessable=assessable,
        unknown=unknown,
    )


def _compare_with_optimum(
    report: AuditReport,
    problem: BalanceProblem,
    rows: list[int],
    workers: int,
    progress: Progress | None = None,
) -> None:
    best = solve(problem, workers=workers, balance_only=True, progress=progress)
    gaps = gaps_of(problem, best)
    report.optimum_possible = gaps is not None
    if gaps is None:
        report.to_meet_rules = Fix(goal="every constraint met", possible=False)
        report.to_optimum = Fix(goal="every constraint met at the optimal balance", possible=False)
        return
    if problem.targets:
        report.optimum = explain.Balance(
            max_gap=float(gaps.largest),
            total_gap=float(gaps.total),
            max_gap_exact=str(gaps.largest),
            total_gap_exact=str(gaps.total),
        )
        if report.objective is not None:
            report.largest_gap_above_optimum = report.objective.max_gap - float(gaps.largest)
            report.total_gap_above_optimum = report.objective.total_gap - float(gaps.total)
    report.to_meet_rules = closest_board(
        problem, rows, None, "every constraint met", workers, progress
    )
    scaled = None
    if problem.targets:
        scale = gap_scale(problem.targets)
        scaled = (int(gaps.largest * scale), int(gaps.total * scale))
    report.to_optimum = closest_board(
        problem, rows, scaled, "every constraint met at the optimal balance", workers, progress
    )


def closest_board(
    problem: BalanceProblem,
    rows: Sequence[int],
    gaps: tuple[int, int] | None,
    goal: str,
    workers: int = 1,
    progress: Progress | None = None,
) -> Fix:
    """The fewest members out plus candidates in that give a board meeting every rule.

    With ``gaps`` (largest and total gap, scaled as in the model) the new board must also have
    exactly that balance, the optimum. Exact: the fewest changes come first, and among equally
    small fixes ``select``'s own order decides (largest gap, total gap, score, every lottery
    level, with the uniqueness proof), so the fix is the same on every run and machine. The
    model seats a profile's sitting members before anyone new (``first``), which is where
    every fewest-change board keeps them.
    """

    def changes(handles: BalanceModel) -> list[Objective]:
        if gaps is not None:
            fix_gaps(handles, *gaps)
        return [("changes", add_changes(handles, rows))]

    solution = solve(problem, workers=workers, before=changes, first=rows, progress=progress)
    if solution.status != SolveStatus.OPTIMAL:
        return Fix(goal=goal, possible=False)
    ids = problem.ids
    board = set(solution.rows)
    on = set(rows)
    out_rows = sorted(on - board)
    in_rows = sorted(board - on)
    return Fix(
        goal=goal,
        possible=True,
        changes=len(out_rows) + len(in_rows),
        out=[str(ids.iat[r]) for r in out_rows],
        incoming=[str(ids.iat[r]) for r in in_rows],
        objective=explain.balance(problem, sorted(board)),
    )


# ---------------------------------------------------------------------------------------------
# Renderings
# ---------------------------------------------------------------------------------------------


def summary_lines(report: AuditReport, *, markup: bool = False) -> list[str]:
    """The key findings, as the terminal shows them and the reports open with.

    With ``markup`` each line is :class:`markupsafe.Markup` whose data (names, ids, values)
    is escaped, ready for the autoescaping templates; without it, plain text for the terminal.
    """

    def say(text: str, *args: object) -> str:
        return Markup(text).format(*args) if markup else text.format(*args)

    lines = [
        say(
            "{} members audited against '{}' (board of {}).",
            len(report.members),
            report.scenario,
            report.board_size,
        ),
    ]
    if report.met:
        lines.append(say("Every constraint is met."))
    elif report.violated:
        lines.append(
            say("{} of {} constraints are violated:", report.violated, len(report.constraints))
        )
        for rule in report.constraints:
            if not rule.met and rule.assessable:
                lines.append("  " + _miss(rule, say))
    else:
        lines.append(say("No constraint is known to be violated."))
    if report.not_assessable:
        count = report.not_assessable
        lines.append(
            say(
                "{} not assessable (the data is 'unknown' for members who would decide it; "
                "not counted as violated):",
                f"{count} constraint{'s are' if count != 1 else ' is'}",
            )
        )
        for rule in report.constraints:
            if not rule.assessable:
                lines.append(
                    "  "
                    + say(
                        "{}: {} known, {} unknown ({})",
                        rule.id,
                        rule.achieved,
                        rule.unknown,
                        rule.description,
                    )
                )
    if report.objective is not None:
        lines.append(
            say(
                "Balance: largest gap {}, total gap {} seats.",
                fmt(report.objective.max_gap),
                fmt(report.objective.total_gap),
            )
        )
    off = [
        f"{row.column} {row.value} {row.board} vs {fmt(row.target_seats)}"
        for row in report.composition
        if row.target_seats is not None and row.gap
    ]
    if off:
        lines.append(say("Off target (seats on the board vs target): {}.", "; ".join(off)))
    if not report.pool_available:
        lines.append(say("The scenario's pool is not available: no comparison with the optimum."))
        return lines
    if report.optimum_possible is False:
        lines.append(
            say("No board from the pool meets every constraint: the pool cannot fix them.")
        )
    if report.optimum is not None:
        lines.append(
            say(
                "Optimum from the pool: largest gap {}, total gap {} seats "
                "(this board is {} / {} above).",
                fmt(report.optimum.max_gap),
                fmt(report.optimum.total_gap),
                fmt(report.largest_gap_above_optimum or 0),
                fmt(report.total_gap_above_optimum or 0),
            )
        )
    for fix in (report.to_meet_rules, report.to_optimum):
        if fix is not None and fix.possible:
            lines.append(_fix_words(fix, say))
    if report.not_in_pool:
        lines.append(
            say(
                "Not in the pool (may stay, cannot be swapped in): {}",
                ", ".join(report.not_in_pool),
            )
        )
    return lines


def _miss(rule: AuditRule, say: Callable[..., str]) -> str:
    if rule.short_by:
        return say(
            "{}: {} seats, short by {} ({})",
            rule.id,
            rule.achieved,
            rule.short_by,
            rule.description,
        )
    return say(
        "{}: {} seats, over by {} ({})", rule.id, rule.achieved, rule.over_by, rule.description
    )


def _fix_words(fix: Fix, say: Callable[..., str]) -> str:
    if fix.changes == 0:
        return say("For {}: no change needed.", fix.goal)
    return say(
        "For {}: out {}; in {} ({} out, {} in).",
        fix.goal,
        ", ".join(fix.out) or "nobody",
        ", ".join(fix.incoming) or "nobody",
        len(fix.out),
        len(fix.incoming),
    )


def render_markdown(report: AuditReport) -> str:
    """The audit for a person. No column is shown per person: members appear by id only."""
    return render("audit.md.j2", report=report, summary=summary_lines(report, markup=True))


def render_html(report: AuditReport) -> str:
    """The audit as one self-contained HTML page (inline CSS, no script, no links)."""
    return render("audit.html.j2", report=report, summary=summary_lines(report, markup=True))


def files(report: AuditReport) -> dict[str, str]:
    """The output files of ``balancer check`` by name, ready to be written together."""
    return {
        "report.json": report.model_dump_json(indent=2) + "\n",
        "report.md": render_markdown(report),
        "report.html": render_html(report),
    }
