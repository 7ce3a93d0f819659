"""Comparing boards side by side: composition, gaps, rules and members.

A convener weighing options ("the board with 13 seats, or the one with the SIDS quota?")
wants them on one page. Each option is a scenario (solved here, without explanation) or a
roster with the scenario it is judged by (``roster.csv@scenario.yaml``); both are recounted
from the pool's cells by :mod:`balancer.engine.recount`, so a solved board and a roster a
person drew up are measured by one yardstick.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from markupsafe import Markup, escape
from pydantic import BaseModel
from rich.table import Table

from balancer import explain
from balancer.engine.load import prepare, read_roster
from balancer.engine.recount import Balance, CompositionRow, RuleOutcome
from balancer.io.files import load_scenario
from balancer.io.provenance import Provenance, provenance
from balancer.present.render import render
from balancer.selection.run import select
from balancer.spec.errors import InputError, Problem
from balancer.spec.progress import Progress


class Option(BaseModel):
    """One board being compared, recounted against its own scenario."""

    label: str
    scenario: str
    source: str  # "solved" or "roster"
    status: str
    board_size: int
    roster: list[str]
    objective: Balance | None
    composition: list[CompositionRow]
    constraints: list[RuleOutcome]
    provenance: Provenance  # this option's scenario and pool


class ValueRow(BaseModel):
    """One value of one column across the options (None where an option has no such value)."""

    column: str
    value: str
    sensitive: bool
    board: list[int | None]
    target_seats: list[float | None]
    gap: list[float | None]


class RuleRow(BaseModel):
    """One rule across the options: met with room, binds (met exactly), broken, or absent."""

    id: str
    description: str
    states: list[str]  # "meets", "binds", "breaks", "-" (not a rule of that option)


class Comparison(BaseModel):
    """Every option, and what they share and where they differ."""

    options: list[Option]
    values: list[ValueRow]
    rules: list[RuleRow]
    common: list[str]
    only: list[list[str]]
    provenance: Provenance | None = None  # the comparison's own: versions, command, when


def load_option(
    argument: str, *, workers: int | None = None, progress: Progress | None = None
) -> Option:
    """``S.yaml`` (solved now) or ``R.csv@S.yaml`` (a roster judged by a scenario)."""
    roster_path, at, scenario_path = argument.rpartition("@")
    if not at and PurePath(argument).suffix.lower() in {".csv", ".xlsx", ".tsv", ".txt"}:
        raise InputError(
            [
                Problem(
                    argument,
                    "",
                    "a roster needs the scenario that judges it",
                    f"write it as {argument}@SCENARIO.yaml",
                )
            ]
        )
    if not at:
        result = select(argument, workers=workers, explain_board=False, progress=progress)
        report = result.report
        return Option(
            label=argument,
            scenario=report.scenario,
            source="solved",
            status=report.status,
            board_size=report.board_size,
            roster=report.roster,
            objective=report.objective,
            composition=report.composition,
            constraints=report.constraints,
            provenance=report.provenance,
        )
    if not roster_path or not scenario_path:
        raise InputError(
            [Problem(argument, "", "expected S.yaml or ROSTER.csv@S.yaml", "check the argument")]
        )
    file = load_scenario(scenario_path)
    problem, _ = prepare(file, progress=progress)
    roster = read_roster(roster_path, problem, file)  # every id in the pool, or InputError
    rows = sorted(row for row in roster.rows if row is not None)
    outcomes = explain.rule_outcomes(problem, rows)
    broken = any(not (o.min <= (o.achieved or 0) <= o.max) for o in outcomes)
    return Option(
        label=argument,
        scenario=file.scenario.name,
        source="roster",
        status="breaks rules" if broken else "meets every rule",
        board_size=len(rows),
        roster=[str(problem.ids.iat[r]) for r in rows],
        objective=explain.balance(problem, rows),
        composition=explain.composition(problem, rows),
        constraints=outcomes,
        provenance=provenance(file, problem.pool, seed=file.scenario.seed),
    )


def _state(outcome: RuleOutcome | None) -> str:
    if outcome is None:
        return "-"
    if outcome.achieved is None:
        return "no board"
    if not outcome.min <= outcome.achieved <= outcome.max:
        return "breaks"
    return "binds" if outcome.tight else "meets"


def compare(options: Sequence[Option]) -> Comparison:
    """Line the options up by value and by rule id; members common to all and only in one."""
    keys: dict[tuple[str, str], bool] = {}
    for option in options:
        for row in option.composition:
            keys.setdefault((row.column, row.value), row.sensitive)
    values = []
    for (column, value), sensitive in keys.items():
        found = [
            next((r for r in o.composition if (r.column, r.value) == (column, value)), None)
            for o in options
        ]
        values.append(
            ValueRow(
                column=column,
                value=value,
                sensitive=sensitive,
                board=[r.board if r else None for r in found],
                target_seats=[r.target_seats if r else None for r in found],
                gap=[r.gap if r else None for r in found],
            )
        )
    values.sort(key=lambda v: (v.column, v.value))
    rule_ids: dict[str, str] = {}
    for option in options:
        for outcome in option.constraints:
            text = "A confidential criterion." if outcome.confidential else outcome.description
            rule_ids.setdefault(outcome.id, text)
    rules = []
    for rule_id, description in rule_ids.items():
        states = [
            _state(next((c for c in o.constraints if c.id == rule_id), None)) for o in options
        ]
        rules.append(RuleRow(id=rule_id, description=description, states=states))
    sets = [set(o.roster) for o in options]
    common = set.intersection(*sets) if sets else set()
    only = [
        sorted(s - set().union(*(t for j, t in enumerate(sets) if j != i)))
        for i, s in enumerate(sets)
    ]
    return Comparison(
        options=list(options), values=values, rules=rules, common=sorted(common), only=only
    )


# ---------------------------------------------------------------------------------------------
# Renderings
# ---------------------------------------------------------------------------------------------


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in {"", "-0"} else "0"


def short(label: str) -> str:
    """A label for a column header: file names without their folders (the full ones are listed)."""
    return "@".join(PurePath(part).name or part for part in label.split("@"))


def _seats(row: ValueRow, i: int) -> str:
    board = "-" if row.board[i] is None else str(row.board[i])
    target = row.target_seats[i]
    return board if target is None else f"{board} / {_num(target)}"


def terminal(comparison: Comparison) -> Table:
    """The side-by-side table for the terminal: gaps first, then seats / target per value."""
    table = Table(title="Comparison (board seats / target seats)")
    table.add_column("")
    for number, option in enumerate(comparison.options, start=1):
        table.add_column(f"{number}: {short(option.label)}", justify="right")
    opts = comparison.options
    table.add_row("status", *[o.status for o in opts])
    table.add_row(
        "largest gap", *[_num(o.objective.max_gap if o.objective else None) for o in opts]
    )
    table.add_row(
        "total gap", *[_num(o.objective.total_gap if o.objective else None) for o in opts]
    )
    for row in comparison.values:
        table.add_row(f"{row.column}={row.value}", *[_seats(row, i) for i in range(len(opts))])
    for rule in comparison.rules:
        if len(set(rule.states)) > 1 or "breaks" in rule.states:
            table.add_row(rule.description, *rule.states)
    table.add_row("members only here", *[str(len(o)) for o in comparison.only])
    return table


def _tables(comparison: Comparison) -> dict[str, object]:
    """What both renderings show, as plain text rows; the templates escape it."""
    opts = comparison.options
    return {
        "options": opts,
        "heads": [f"{i}: {short(o.label)}" for i, o in enumerate(opts, 1)],
        "balance": [
            ("largest gap", [_num(o.objective.max_gap if o.objective else None) for o in opts]),
            ("total gap", [_num(o.objective.total_gap if o.objective else None) for o in opts]),
        ],
        "statuses": [o.status for o in opts],
        "composition": [
            (f"{r.column} = {r.value}", [_seats(r, i) for i in range(len(opts))])
            for r in comparison.values
        ],
        "rules": [(r.description, r.states) for r in comparison.rules],
        "common": comparison.common,
        "only": list(zip(opts, comparison.only, strict=True)),
    }


def markdown(comparison: Comparison) -> str:
    """The comparison for a person, as Markdown tables."""
    return render("compare.md.j2", **_tables(comparison))


_COLOURS = ["#0b6bb3", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]


def _e(text: object) -> str:
    return str(escape(str(text)))


def chart(comparison: Comparison, column: str) -> str:
    """SVG: per value of ``column``, one bar per option (seats), a tick at each target."""
    rows = [r for r in comparison.values if r.column == column]
    n = len(comparison.options)
    bar, gap, left, width = 10, 12, 200, 760
    per = n * bar + gap
    height = 30 + len(rows) * per + 10
    top_seats = max(
        [b or 0 for r in rows for b in r.board]
        + [t or 0 for r in rows for t in r.target_seats]
        + [1]
    )
    span = width - left - 60

    def x_of(seats: float) -> float:
        return left + span * seats / top_seats

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" font-family="sans-serif" font-size="11">',
        f"<title>{_e(f'Seats by {column} on each board; ticks mark the targets')}</title>",
    ]
    for i, option in enumerate(comparison.options):
        colour = _COLOURS[i % len(_COLOURS)]
        legend = f"{i + 1}: {short(option.label)}"
        parts.append(
            f'<rect x="{left + 150 * i}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 150 * i + 14}" y="15">{_e(legend[:22])}</text>'
        )
    for k, row in enumerate(rows):
        y = 30 + k * per
        parts.append(
            f'<text x="{left - 6}" y="{y + n * bar / 2 + 4:.1f}" text-anchor="end">'
            f"{_e(row.value[:30])}</text>"
        )
        for i in range(n):
            colour = _COLOURS[i % len(_COLOURS)]
            seats = row.board[i]
            by = y + i * bar
            if seats is not None:
                parts.append(
                    f'<rect x="{left}" y="{by}" width="{x_of(seats) - left:.1f}" '
                    f'height="{bar - 2}" fill="{colour}"><title>'
                    f"{_e(f'{i + 1}: {seats} seats')}</title></rect>"
                    f'<text x="{x_of(seats) + 3:.1f}" y="{by + bar - 2}">{seats}</text>'
                )
            target = row.target_seats[i]
            if target is not None:
                tx = x_of(target)
                parts.append(
                    f'<line x1="{tx:.1f}" y1="{by - 1}" x2="{tx:.1f}" y2="{by + bar - 1}" '
                    f'stroke="#000" stroke-width="2"><title>{_e(f"target {_num(target)}")}'
                    "</title></line>"
                )
    parts.append("</svg>")
    return "".join(parts)


def html(comparison: Comparison) -> str:
    """A self-contained page: the Markdown sections as tables, and one chart per column."""
    columns = list(dict.fromkeys(r.column for r in comparison.values))
    charts = [(c, Markup(chart(comparison, c))) for c in columns]  # escaped in chart()
    return render("compare.html.j2", charts=charts, **_tables(comparison))


def files(comparison: Comparison) -> dict[str, str]:
    return {
        "compare.json": comparison.model_dump_json(indent=2) + "\n",
        "compare.md": markdown(comparison),
        "compare.html": html(comparison),
    }


def compare_arguments(
    arguments: Sequence[str],
    *,
    workers: int | None = None,
    command: str | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Load every option (collecting every input problem) and compare them.

    ``progress`` hears each option's read, check and solve in the order given.
    """
    if len(arguments) < 2:
        raise InputError([Problem("compare", "", "give at least two boards to compare")])
    options, problems = [], []
    for argument in arguments:
        try:
            options.append(load_option(argument, workers=workers, progress=progress))
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    comparison = compare(options)
    comparison.provenance = provenance(None, None, command=command)
    return comparison


__all__ = ["Comparison", "Option", "compare", "compare_arguments", "files", "load_option"]
