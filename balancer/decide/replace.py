"""Replacing members who withdraw: keep everyone else, fill the seats as select would.

The board that remains is fixed (each kept member becomes an ``include`` rule, each member who
withdrew an ``exclude`` rule) and the ordinary lexicographic solve fills the free seats: the
smallest largest gap, then the smallest total gap, then the scenario's tie-break. So the
replacements are exactly the best the pool offers under every rule, by the same yardstick as
the original selection, and the answer is as reproducible.

When no replacement keeps every rule, the rules (quotas, groups, caps) may bend, and the
least-bad option is the one with the fewest seats of violation in total, then ``select``'s
whole order (balance, score, every lottery level, the uniqueness proof); the conflict that
forces the violation is named by the solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from balancer import explain
from balancer.engine.load import ScenarioInput, prepare, read_roster, restate
from balancer.engine.model import BalanceModel, Patch, violation_total
from balancer.engine.problem import BalanceProblem, gap_scale
from balancer.engine.recount import Balance
from balancer.engine.solve import Objective, default_workers, solve
from balancer.io.files import Pool, safe_csv
from balancer.io.provenance import Provenance, provenance
from balancer.present.render import render, render_text
from balancer.spec.errors import InputError, Problem, did_you_mean
from balancer.spec.outcomes import SolveStatus
from balancer.spec.progress import Progress
from balancer.spec.rules import Kind, Rule


class RuleChange(BaseModel):
    """One rule on the board before and after the replacement."""

    id: str
    description: str
    min: int
    max: int
    before: int | None  # None for a confidential rule: counts before and after name people
    after: int | None
    met: bool
    violation: int  # seats outside the bounds after the replacement (0 when met)
    confidential: bool = False


class Incoming(BaseModel):
    """A replacement: who comes in, and why them."""

    id: str
    name: str | None = None
    keeps: list[str]  # rules met exactly that would break without them (never sensitive ones)
    reason: str


class Replacement(BaseModel):
    """The result of ``balancer replace``: the new roster and the account of the change."""

    scenario: str
    status: str  # "replaced", "violates" (least-bad option) or "impossible"
    dropped: list[str]
    kept: list[str]
    incoming: list[Incoming]
    roster: list[str]
    before: Balance | None
    after: Balance | None
    rules: list[RuleChange]
    broken: list[str]  # sentences of the rules the least-bad option breaks
    conflict: list[str]  # sentences of a minimal set of rules that cannot all hold
    warnings: list[str]
    provenance: Provenance


@dataclass
class ReplaceResult:
    """A replacement with the problem it was solved on (for the new roster's pool rows)."""

    replacement: Replacement
    problem: BalanceProblem
    rows: list[int]

    @property
    def roster(self) -> pd.DataFrame:
        return self.problem.pool.table.iloc[self.rows].reset_index(drop=True)

    def files(self) -> dict[str, str]:
        files = {
            "replacement.json": self.replacement.model_dump_json(indent=2) + "\n",
            "replacement.md": markdown(self.replacement),
            "replacement.html": html(self.replacement),
        }
        if self.rows:
            files["roster.csv"] = safe_csv(self.roster)
        return files


def replace(
    scenario: ScenarioInput,
    roster: Sequence[str] | str | Path,
    drop: Sequence[str],
    *,
    pool: Pool | pd.DataFrame | None = None,
    workers: int | None = None,
    command: str | None = None,
    progress: Progress | None = None,
) -> ReplaceResult:
    """Replace the members ``drop`` of the board ``roster`` under the scenario's rules.

    ``roster`` is the member ids, or a roster file read by
    :func:`balancer.engine.load.read_roster` (ids only, a roster balancer wrote, or a raw
    export), which needs the scenario as a file. ``progress`` hears the read, the check and
    the solve.
    """
    original, file = prepare(scenario, pool, progress=progress)
    if isinstance(roster, str | Path):
        if file is None:
            raise ValueError("a roster file needs the scenario as a file; give the ids instead")
        roster = read_roster(roster, original, file).ids
    workers = workers or default_workers()
    _check(original, roster, drop)
    spec = original.scenario
    kept = [cid for cid in roster if cid not in set(drop)]
    warnings = []
    if len(roster) != original.board_size:
        warnings.append(
            f"the roster has {len(roster)} members but the scenario's board has "
            f"{original.board_size} seats; the new board has {original.board_size}"
        )
    lifted = [cid for cid in drop if cid in spec.include]
    warnings += [
        f"{cid} was required by include; the rule is lifted as they withdrew" for cid in lifted
    ]
    base_spec = spec.model_copy(
        update={
            "include": [cid for cid in spec.include if cid not in set(drop)],
            "exclude": [*spec.exclude, *(cid for cid in drop if cid not in spec.exclude)],
        }
    )
    source = str(file.path) if file else "<scenario>"
    base = restate(original, base_spec, source=source)
    forced_spec = base_spec.model_copy(
        update={"include": [*base_spec.include, *(c for c in kept if c not in base_spec.include)]}
    )
    forced = restate(original, forced_spec, source=source)
    position = {cid: row for row, cid in enumerate(original.ids.tolist())}
    before_rows = [position[cid] for cid in roster]

    solution = solve(forced, workers=workers, progress=progress)
    status = "replaced"
    conflict: list[str] = []
    rows = solution.rows if solution.status in {"optimal", "feasible"} else []
    if not rows:
        core = explain.minimal_conflict(forced, forced.rules) or []
        conflict = [_sentence(rule, set(kept), spec.sensitive) for rule in core]
        rows = least_bad(forced, workers, progress)
        status = "violates" if rows else "impossible"
    after_rows = sorted(rows)
    changes = _rule_changes(base, before_rows, after_rows) if rows else []
    broken = [
        _described(change, base, spec.sensitive) for change in changes if change.violation > 0
    ]
    incoming_rows = [r for r in after_rows if str(original.ids.iat[r]) not in set(kept)]
    incoming = [
        _incoming(forced, base, row, after_rows, workers, status == "replaced")
        for row in incoming_rows
    ]
    replacement = Replacement(
        scenario=spec.name,
        status=status,
        dropped=list(drop),
        kept=kept,
        incoming=incoming,
        roster=[str(original.ids.iat[r]) for r in after_rows],
        before=explain.balance(original, before_rows),
        after=explain.balance(base, after_rows) if rows else None,
        rules=changes,
        broken=broken,
        conflict=conflict,
        warnings=warnings,
        provenance=provenance(file, original.pool, command=command, seed=spec.seed),
    )
    return ReplaceResult(replacement=replacement, problem=original, rows=after_rows)


def _check(problem: BalanceProblem, roster: Sequence[str], drop: Sequence[str]) -> None:
    known = set(problem.ids)
    members = set(roster)
    problems = [
        Problem("roster", cid, "is not an id in the pool", did_you_mean(cid, known))
        for cid in roster
        if cid not in known
    ]
    repeated = sorted({cid for cid in roster if list(roster).count(cid) > 1})
    problems += [
        Problem("roster", cid, "is listed twice", "list each member once") for cid in repeated
    ]
    problems += [
        Problem("--drop", cid, "is not on the roster", did_you_mean(cid, members))
        for cid in drop
        if cid not in members
    ]
    if not drop:
        problems.append(Problem("--drop", "", "name at least one member who withdraws"))
    if len(set(drop)) != len(drop):
        problems.append(Problem("--drop", "", "names a member twice", "give each id once"))
    if problems:
        raise InputError(problems)


def _confidential(rule: Rule, sensitive: Sequence[str]) -> bool:
    return bool(set(rule.where) & set(sensitive))


def _sentence(rule: Rule, kept: set[str], sensitive: Sequence[str]) -> str:
    """A rule in words; a kept member's forced seat says so; sensitive rules stay unnamed."""
    if rule.kind is Kind.INCLUDE and rule.value in kept:
        return f"{rule.value} stays on the board."
    if _confidential(rule, sensitive):
        return "A confidential criterion."
    return rule.description


def _described(change: RuleChange, base: BalanceProblem, sensitive: Sequence[str]) -> str:
    rule = next(r for r in base.rules if r.id == change.id)
    text = _sentence(rule, set(), sensitive)
    if change.confidential:
        return text
    return f"{text} (the board has {change.after}: {change.violation} seat(s) off)"


def _rule_changes(
    base: BalanceProblem, before: Sequence[int], after: Sequence[int]
) -> list[RuleChange]:
    """Every rule counted on the pool's cells for both boards (not read from the solver)."""
    old = {o.id: o for o in explain.rule_outcomes(base, before)}
    changes = []
    for outcome in explain.rule_outcomes(base, after):
        achieved = outcome.achieved or 0
        violation = max(outcome.min - achieved, achieved - outcome.max, 0)
        hidden = outcome.confidential
        changes.append(
            RuleChange(
                id=outcome.id,
                description="A confidential criterion." if hidden else outcome.description,
                min=outcome.min,
                max=outcome.max,
                before=None if hidden else old[outcome.id].achieved or 0,
                after=None if hidden else achieved,
                met=violation == 0,
                violation=violation,
                confidential=hidden,
            )
        )
    return changes


def _profile_of(problem: BalanceProblem, row: int) -> int:
    for index, profile in enumerate(problem.profiles):
        if row in set(profile.members.tolist()):
            return index
    raise KeyError(row)


def _incoming(
    forced: BalanceProblem,
    base: BalanceProblem,
    row: int,
    board: Sequence[int],
    workers: int,
    exact: bool,
) -> Incoming:
    """Who comes in and why: the rules they keep, and the board without them."""
    table = forced.pool.table
    cid = str(forced.ids.iat[row])
    name = str(table["name"].iat[row]) if "name" in table.columns else None
    sensitive = base.scenario.sensitive
    outcomes = {o.id: o for o in explain.rule_outcomes(base, board)}
    # The one recount says what they count towards (each part of a multi-valued cell).
    counts_for = explain.rule_hits(base, [row])[0].tolist()
    keeps = []
    for rule, counted in zip(base.rules, counts_for, strict=True):
        outcome = outcomes[rule.id]
        if _confidential(rule, sensitive):
            continue  # saying that they keep it would say that they have the attribute
        needed = rule.lo > 0 and outcome.achieved == rule.lo  # met exactly: they keep it
        if needed and rule.kind is not Kind.BOARD_SIZE and counted:
            keeps.append(_sentence(rule, set(), sensitive))
    if not exact:
        return Incoming(id=cid, name=name, keeps=keeps, reason="part of the least-bad option")
    here = explain.balance(base, board)
    without = solve(
        forced,
        workers=workers,
        patch=Patch(fewer={_profile_of(forced, row): 1}),
        balance_only=True,
    )
    if without.status == "infeasible":
        reason = "required: no replacement without them keeps every rule"
    elif here is not None and without.gap_values is not None:
        scale = gap_scale(forced.targets)
        other = (Fraction(without.gap_values[0], scale), Fraction(without.gap_values[1], scale))
        mine = (Fraction(here.max_gap_exact), Fraction(here.total_gap_exact))
        if other > mine:
            reason = (
                "improves balance: without them the best replacement has largest gap "
                f"{float(other[0]):.4g} and total gap {float(other[1]):.4g} "
                f"(with them {float(mine[0]):.4g} and {float(mine[1]):.4g})"
            )
        else:
            by = base.score_column or "lottery"
            reason = f"tie-break: equally balanced replacements exist; the {by} chose them"
    else:
        reason = "tie-break: every replacement is equally balanced"
    return Incoming(id=cid, name=name, keeps=keeps, reason=reason)


def least_bad(forced: BalanceProblem, workers: int, progress: Progress | None = None) -> list[int]:
    """The board with the fewest seats of rule violation, then ``select``'s whole order.

    Named members (kept, withdrawn, included, excluded) and the board size stay fixed; every
    other rule may move by any number of seats, and the moves are counted. After the seats of
    violation come the largest and total gap, the score, every lottery level and the
    uniqueness proof, exactly as :func:`balancer.engine.solve.solve` runs them for ``select``.
    """
    fixed = {Kind.BOARD_SIZE, Kind.INCLUDE, Kind.EXCLUDE}
    room = {rule.id: forced.board_size for rule in forced.rules if rule.kind not in fixed}

    def violations(handles: BalanceModel) -> list[Objective]:
        return [("violation seats", violation_total(handles))]

    solution = solve(forced, workers=workers, elastic=room, before=violations, progress=progress)
    return solution.rows if solution.status == SolveStatus.OPTIMAL else []


_HEADINGS = {
    "replaced": "Replacement found: every rule is kept",
    "violates": "No replacement keeps every rule: the least-bad option",
    "impossible": "No replacement is possible",
}


def _context(replacement: Replacement) -> dict[str, object]:
    changed = [c for c in replacement.rules if c.before != c.after or not c.met]
    return {"r": replacement, "heading": _HEADINGS[replacement.status], "changed": changed}


def markdown(replacement: Replacement) -> str:
    """The replacement for a person: who leaves, who comes in and why, what changes."""
    return render("replacement.md.j2", **_context(replacement))


def html(replacement: Replacement) -> str:
    """The replacement as one self-contained HTML page (inline CSS, no script, no links)."""
    return render("replacement.html.j2", **_context(replacement))


def terminal(replacement: Replacement) -> str:
    """The Markdown as plain text for the terminal (not escaped for HTML; never a file)."""
    return render_text("replacement.md.j2", **_context(replacement))
