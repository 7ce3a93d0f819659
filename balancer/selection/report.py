"""The report: one typed document (``report.json``) and its renderings for people.

The JSON schema is the pydantic model :class:`Report`; ``balancer schema`` prints it. The
Markdown is rendered from the same object by a Jinja2 template with autoescaping, so a
candidate called ``<script>`` stays text. Sensitive columns (disability by default) appear in
rendered reports only as aggregate counts; only ``roster.csv``, the convener's working file,
carries them per person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

from markupsafe import Markup
from pydantic import BaseModel, Field
from rich.table import Table

from balancer.explain import (
    Balance,
    CompositionRow,
    Diagnosis,
    Explanation,
    RuleExplanation,
    RuleOutcome,
    SupplyRow,
)
from balancer.explain.costs import Change
from balancer.io.provenance import Provenance
from balancer.present import charts
from balancer.present.render import ENV, number, render_markdown_file
from balancer.selection.alternatives import Alternates, Alternatives
from balancer.spec.criteria import Commitment
from balancer.spec.labels import Labels
from balancer.spec.normalisation import NormalisedValue
from balancer.spec.outcomes import RuleClass
from balancer.spec.scenario import ColumnLabel

SCHEMA_VERSION = "1"


class StageTiming(BaseModel):
    """One solver stage: what was optimised, how it ended and the optimum it fixed."""

    name: str
    status: str
    value: int | None
    seconds: float
    work: float = Field(default=0.0, description="CP-SAT deterministic time (machine-free)")


class Timings(BaseModel):
    """Wall-clock seconds per phase of the run."""

    read: float = 0.0
    build: float = 0.0
    solve: float = 0.0
    explain: float = 0.0
    total: float = 0.0
    stages: list[StageTiming] = Field(default_factory=list)


class Report(BaseModel):
    """The result of one selection, for machines (JSON) and for people (Markdown, terminal)."""

    schema_version: str = SCHEMA_VERSION
    scenario: str
    status: Literal["optimal", "feasible", "infeasible", "unknown"]
    board_size: int
    roster: list[str]
    objective: Balance | None
    unique: bool | None = Field(
        description="True when the solver proved no other board ties on every objective"
    )
    constraints: list[RuleOutcome]
    composition: list[CompositionRow]
    diagnosis: Diagnosis | None = None
    explanation: Explanation | None = None
    supply: list[SupplyRow] = Field(default_factory=list)
    alternatives: Alternatives | None = Field(
        default=None, description="the next-best distinct boards (select --alternatives)"
    )
    alternates: Alternates | None = Field(
        default=None, description="alternates to call when a member steps down (--alternates)"
    )
    warnings: list[str] = Field(default_factory=list)
    public: bool = Field(
        default=False,
        description="True for the publishable variant (see balancer.selection.public)",
    )
    commitment: Commitment | None = Field(
        default=None,
        description="what the board was selected under: the criteria's canonical SHA-256, the "
        "pool's SHA-256, the seed text and seed (balancer verify-board checks them)",
    )
    labels: dict[str, ColumnLabel] = Field(
        default_factory=dict,
        description="the scenario's labels: the words pages use for columns and values; "
        "every other field keeps the pool's own names",
    )
    scenario_about: str | None = Field(
        default=None, description="the scenario's about: text, shown at the top of every page"
    )
    unnamed_caps: dict[str, int] = Field(
        default_factory=dict,
        description="public variant: per capped column, how many of its values no member has "
        "(their rules are left out: a value such as an organisation can name a nominee)",
    )
    normalisation: list[NormalisedValue] = Field(
        default_factory=list,
        description="internal: every raw pool value that reading the pool changed (raw, count, "
        "became, country matched); also written to normalisation.csv; empty in the public variant",
    )
    warnings_withheld: int = Field(
        default=0,
        description="public variant: warnings left out (they name rows and raw cell values)",
    )
    provenance: Provenance
    timings: Timings


# Filters for the explanation sections and the HTML report. They turn the report's flat lists
# into what a reader scans (groups, badges, prices); they return plain data, never markup, so
# autoescape still sees every string. The one exception is the chart, escaped in charts.py.

_STATUS_ORDER = (
    RuleClass.BINDING,
    RuleClass.NOT_COMPUTED,
    RuleClass.POOL_LIMITED,
    RuleClass.TIGHT,
    RuleClass.SLACK,
)
_STATUS_TITLES = {
    RuleClass.BINDING: "Binding: these criteria cost balance",
    RuleClass.NOT_COMPUTED: "Not computed: the explanation's work budget did not reach these",
    RuleClass.POOL_LIMITED: "Limited by the pool: every such candidate is needed",
    RuleClass.TIGHT: "Met exactly, at no cost to balance",
    RuleClass.SLACK: "Met with room to spare",
}
_BADGES = {
    RuleClass.BINDING: "binding",
    RuleClass.POOL_LIMITED: "pool-limited",
    RuleClass.TIGHT: "tight",
    RuleClass.NOT_COMPUTED: "not computed",
}
CAP_SUMMARY_FROM = 4
"""Caps of one column in one status group are said in one line from this many on."""
CAP_VALUES_SHOWN = 12


@dataclass(frozen=True)
class RuleLine:
    """One line of "What shaped the board": a rule, or the caps of one column together."""

    sentence: str
    rules: list[str]
    explanation: RuleExplanation | None = None


@dataclass(frozen=True)
class RuleGroup:
    """The rules of one status, in the order the reader should meet them (binding first)."""

    status: str
    badge: str
    title: str
    lines: list[RuleLine]


def _listing(items: Sequence[str], limit: int = CAP_VALUES_SHOWN) -> str:
    """Items in words: "a, b and c", or "a, b and 7 more" beyond ``limit``."""
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"{len(items) - limit} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _cap_line(
    status: str, rules: Sequence[RuleExplanation], outcome: RuleOutcome, labels: Labels
) -> RuleLine:
    """The caps of one column with one status, said once instead of once per value."""
    column = rules[0].column or ""
    values = [labels.value(column, r.value or "") for r in rules]
    head = (
        f"At most {outcome.max} member{'s' * (outcome.max != 1)} may share one "
        f"{labels.column(column)}"
    )
    if status == RuleClass.SLACK:
        sentence = f"{head}: met with room to spare for {len(values)} values ({_listing(values)})."
    elif status == RuleClass.TIGHT:
        sentence = (
            f"{head}: met exactly for {_listing(values)}, but relaxing these caps would not make "
            "the board more balanced."
        )
    else:
        sentence = f"{head}: {status} for {_listing(values)}."
    return RuleLine(sentence=sentence, rules=[r.id for r in rules])


def _rule_groups(report: Report) -> list[RuleGroup]:
    """The explained rules grouped by status; many caps of one column become one line."""
    if report.explanation is None:
        return []
    outcomes = {o.id: o for o in report.constraints}
    labels = Labels.of(report.labels)
    groups = []
    for status in _STATUS_ORDER:
        rules = [r for r in report.explanation.rules if r.status == status]
        caps: dict[str, list[RuleExplanation]] = {}
        for rule in rules:
            if status != RuleClass.BINDING and rule.kind == "cap" and rule.column is not None:
                caps.setdefault(rule.column, []).append(rule)
        many = {c: rs for c, rs in caps.items() if len(rs) >= CAP_SUMMARY_FROM}
        lines: list[RuleLine] = []
        for rule in rules:
            column = rule.column if rule.kind == "cap" else None
            if column is not None and column in many:
                if rule is many[column][0]:
                    lines.append(_cap_line(status, many[column], outcomes[rule.id], labels))
                continue
            lines.append(RuleLine(sentence=rule.sentence, rules=[rule.id], explanation=rule))
        if lines:
            title = _STATUS_TITLES[status]
            groups.append(RuleGroup(status, _BADGES.get(status, status), title, lines))
    return groups


_BADGE_ORDER = ("binding", "not computed", "pool-limited", "tight", "slack")


@dataclass(frozen=True)
class CriteriaRow:
    """A row of the criteria table: one rule, or every cap of one column folded together.

    A one-per-organisation cap has a rule per organisation in the pool (107 of 131 rows on a
    30-seat board); folded, it is one row, with the values at the cap in a collapsible list.
    """

    description: str
    rules: list[RuleOutcome]
    badge: str | None
    family: bool = False
    values: int = 0  # caps: values of the column the cap limits (named or not)
    at_cap: list[str] = dataclass_field(default_factory=list)

    @property
    def first(self) -> RuleOutcome:
        return self.rules[0]


def _criteria_rows(report: Report) -> list[CriteriaRow]:
    """The criteria in scenario order, the caps of one column as one row where the first is."""
    badges = _rule_badges(report)
    caps: dict[str, list[RuleOutcome]] = {}
    for rule in report.constraints:
        if rule.kind == "cap":
            caps.setdefault(rule.column or "", []).append(rule)
    for column in report.unnamed_caps:
        caps.setdefault(column, [])
    rows: list[CriteriaRow] = []
    done: set[str] = set()
    for rule in report.constraints:
        if rule.kind != "cap":
            rows.append(CriteriaRow(rule.description, [rule], badges.get(rule.id)))
            continue
        column = rule.column or ""
        if column in done:
            continue
        done.add(column)
        rows.append(_cap_family(report, column, caps[column], badges))
    for column in report.unnamed_caps:  # every value of the column unheld: no rule left
        if column not in done:
            rows.append(_cap_family(report, column, [], badges))
    return rows


def _cap_family(
    report: Report, column: str, rules: list[RuleOutcome], badges: dict[str, str]
) -> CriteriaRow:
    unnamed = report.unnamed_caps.get(column, 0)
    cap = rules[0].max if rules else None
    labels = Labels.of(report.labels)
    at_cap = [
        labels.value(column, r.value or "")
        for r in rules
        if r.achieved is not None and r.achieved == r.max
    ]
    shown = [badges[r.id] for r in rules if r.id in badges]
    badge = next((b for b in _BADGE_ORDER if b in shown), None)
    if badge is None and unnamed and report.roster:
        badge = "slack"
    head = (
        f"At most {cap} member{'s' * (cap != 1)} may share one {labels.column(column)}"
        if cap is not None
        else f"A cap on {labels.column(column)}"
    )
    return CriteriaRow(
        description=f"{head} ({len(rules) + unnamed} values in the pool could exceed it).",
        rules=rules,
        badge=badge,
        family=True,
        values=len(rules) + unnamed,
        at_cap=at_cap,
    )


def _rule_badges(report: Report) -> dict[str, str]:
    """Rule id to its badge: the explained status, or tight/slack when nothing was priced."""
    if report.explanation is not None:
        return {r.id: _BADGES.get(r.status, r.status) for r in report.explanation.rules}
    return {
        o.id: "tight" if o.tight else "slack" for o in report.constraints if o.tight is not None
    }


def _signed(value: float | None) -> str:
    if value is None or abs(value) < 5e-10:
        return "\u00b10"
    return ("+" if value > 0 else "\u2212") + number(abs(value))


def _price(change: Change | None) -> str:
    """What relaxing or dropping a rule does to the two gaps, in one short phrase."""
    if change is None:
        return "\u2013"
    if not change.possible:
        return "no board possible"
    return (
        f"largest gap {number(change.max_gap)} ({_signed(change.max_gap_change)}), "
        f"total gap {number(change.total_gap)} ({_signed(change.total_gap_change)})"
    )


def _names(members: Sequence[dict[str, str]]) -> dict[str, str]:
    """Member id (the first column of a member row) to name, when the pool has names."""
    return {next(iter(m.values())): m.get("name", "") for m in members if m}


def _chart(rows: Sequence[CompositionRow], report: Report, index: int) -> Markup:
    """The composition chart of one column (SVG, escaped in :mod:`balancer.present.charts`)."""
    return charts.composition_chart(
        rows[0].column,
        rows,
        board_size=report.board_size,
        has_board=bool(report.roster),
        chart_id=f"chart-{index}",
        labels=Labels.of(report.labels),
    )


ENV.filters["rule_groups"] = _rule_groups


def _who(ids: Iterable[str], names: Mapping[str, str]) -> str:
    """Ids with their names where known: "c017 (Ana L.), c044"."""
    return ", ".join(f"{i} ({names[i]})" if names.get(i) else str(i) for i in ids)


ENV.filters["who"] = _who
ENV.filters["rule_badges"] = _rule_badges
ENV.filters["criteria_rows"] = _criteria_rows
ENV.filters["price"] = _price
ENV.filters["names"] = _names
ENV.filters["chart"] = _chart


def render_markdown(
    report: Report, members: list[dict[str, str]], people: Mapping[str, str] | None = None
) -> str:
    """The report for a person. ``members`` holds only the columns safe to show per person;
    ``people`` (internal variant only) names every candidate the report mentions by id."""
    return render_markdown_file("report.md.j2", report=report, members=members, people=people or {})


def render_html(
    report: Report, members: list[dict[str, str]], people: Mapping[str, str] | None = None
) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no script, no links).

    Self-contained so it can be mailed, archived or published as is and still look the same in
    ten years; ``members`` holds only the columns safe to show per person, as for Markdown.
    """
    template = ENV.get_template("report.html.j2")
    return template.render(report=report, members=members, people=people or {})


def binding_lines(report: Report) -> list[str]:
    """The binding criteria with their price, one line each, for the top of the terminal.

    The price is what the best board would gain with one seat more room for the rule (or,
    when it has no side to relax, without it). Without an explanation nothing was priced,
    and the line says so rather than claiming that nothing binds.
    """
    if report.status not in ("optimal", "feasible"):
        return []
    if report.explanation is None:
        return ["Binding criteria: not computed (run without --no-explain to price them)."]
    binding = [r for r in report.explanation.rules if r.status == RuleClass.BINDING]
    unknown = sum(1 for r in report.explanation.rules if r.status == RuleClass.NOT_COMPUTED)
    missing = (
        [f"  {unknown} criteria not computed: the explanation's work budget ran out (report.md)."]
        if unknown
        else []
    )
    if not binding:
        if unknown:
            return ["No binding criterion found among those priced.", *missing]
        return ["No criterion binds: the board is as balanced as it would be without them."]
    lines = [f"Binding criteria ({len(binding)}), each with its price:"]
    described = {o.id: o.description.rstrip(".") for o in report.constraints}
    for rule in binding:
        relaxed = rule.relaxed is not None and rule.relaxed.possible
        change = rule.relaxed if relaxed else rule.dropped
        how = "against one seat more room" if relaxed else "against dropping it"
        name = described.get(rule.id, rule.id)
        lines.append(f"  {name}: costs {_cost(change)} ({how})")
    return lines + missing


def _cost(change: Change | None) -> str:
    """The balance a rule's change would win back, as a price: "1.6 seats of total gap"."""
    if change is None or not change.possible:
        return "an unknown amount"
    parts = []
    for gained, which in (
        (change.max_gap_change, "largest gap"),
        (change.total_gap_change, "total gap"),
    ):
        if gained is not None and gained < -5e-10:
            seats = number(-gained)
            parts.append(f"{seats} seat{'s' * (seats != '1')} of {which}")
    return " and ".join(parts) or "nothing measurable"


def supply_table(report: Report) -> Table:
    """Per quota and target value: candidates available against the seats asked.

    Values the pool cannot fill are flagged: fewer candidates than a minimum asks (no board
    can meet it), or fewer than the target's seats (the gap cannot close).
    """
    low: dict[tuple[str | None, str | None], int] = {}
    high: dict[tuple[str | None, str | None], int] = {}
    for rule in report.constraints:
        if rule.kind == "quota-min":
            low[(rule.column, rule.value)] = rule.min
        elif rule.kind == "quota-max":
            high[(rule.column, rule.value)] = rule.max
    table = Table(title="Pool supply against the seats asked")
    labels = Labels.of(report.labels)
    table.add_column("column")
    table.add_column("value")
    table.add_column("candidates", justify="right")
    table.add_column("seats asked", justify="right")
    table.add_column("target seats", justify="right")
    table.add_column("pool can fill?", no_wrap=True)
    for row in report.supply:
        key = (row.column, row.value)
        if key not in low and key not in high and row.target_seats is None:
            continue  # neither a quota nor a target asks for this value
        bounds = ""
        if key in low or key in high:
            lo, hi = low.get(key, 0), high.get(key, report.board_size)
            bounds = str(lo) if lo == hi else f"{lo}..{hi}"
        target = "" if row.target_seats is None else number(row.target_seats)
        if row.short_by:
            flag = f"NO: short by {row.short_by}"
        elif row.target_seats is not None and row.available < row.target_seats - 1e-9:
            flag = f"below target by {number(row.target_seats - row.available)}"
        else:
            flag = "yes"
        table.add_row(
            labels.column(row.column),
            labels.value(row.column, row.value),
            str(row.available),
            bounds,
            target,
            flag,
        )
    return table


def summary_table(report: Report) -> Table:
    """The short table the terminal shows after a run (criteria and bounds only, no board)."""
    table = Table(title=f"{report.scenario}: {report.status}", show_lines=False)
    board = bool(report.roster)
    labels = Labels.of(report.labels)
    table.add_column("criterion")
    table.add_column("bounds", justify="right")
    if board:
        table.add_column("board", justify="right")
        table.add_column("status", justify="left")
    explained = {}
    if report.explanation is not None:
        explained = {r.id: r.status for r in report.explanation.rules}
    caps: dict[str, list[RuleOutcome]] = {}
    for rule in report.constraints:
        if rule.kind == "cap":
            caps.setdefault(rule.column or "", []).append(rule)
            continue
        bounds = f"{rule.min}..{rule.max}" if rule.min != rule.max else str(rule.min)
        mark = "" if rule.achieved is None else ("tight" if rule.tight else f"slack {rule.slack}")
        if explained.get(rule.id) in (RuleClass.BINDING, RuleClass.POOL_LIMITED, RuleClass.TIGHT):
            mark = str(explained[rule.id])
        achieved = "" if rule.achieved is None else str(rule.achieved)
        table.add_row(rule.description, bounds, *([achieved, mark] if board else []))
    for column, rules in caps.items():
        full = sum(1 for r in rules if r.tight)
        bind = sum(1 for r in rules if explained.get(r.id) == RuleClass.BINDING)
        mark = f"{full} value(s) at the cap" if rules[0].achieved is not None else ""
        if bind:
            mark += f", {bind} binding"
        table.add_row(
            f"At most {rules[0].max} member(s) per {labels.column(column)} "
            f"({len(rules)} values could exceed it)",
            f"0..{rules[0].max}",
            *(["", mark] if board else []),
        )
    return table
