"""The report: one typed document (``report.json``) and its renderings for people.

The JSON schema is the pydantic model :class:`Report`; ``balancer schema`` prints it. The
Markdown is rendered from the same object by a Jinja2 template with autoescaping, so a
candidate called ``<script>`` stays text. Sensitive columns (disability by default) appear in
rendered reports only as aggregate counts; only ``roster.csv``, the convener's working file,
carries them per person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import metadata
from typing import Literal

import jinja2
from pydantic import BaseModel, Field
from rich.table import Table

from balancer.explain import Balance, CompositionRow, Diagnosis, Explanation, RuleOutcome, SupplyRow

SCHEMA_VERSION = "1"


class StageTiming(BaseModel):
    """One solver stage: what was optimised, how it ended and the optimum it fixed."""

    name: str
    status: str
    value: int | None
    seconds: float


class Timings(BaseModel):
    """Wall-clock seconds per phase of the run."""

    read: float = 0.0
    build: float = 0.0
    solve: float = 0.0
    explain: float = 0.0
    total: float = 0.0
    stages: list[StageTiming] = Field(default_factory=list)


class Provenance(BaseModel):
    """Everything needed to reproduce the board exactly."""

    balancer_version: str
    solver: str = "OR-Tools CP-SAT"
    solver_version: str
    scenario_file: str | None
    scenario_sha256: str | None
    pool_file: str | None
    pool_sha256: str
    seed: int
    tie_break: str
    workers: int
    command: str | None = None
    candidates: int
    profiles: int
    created: str


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
    warnings: list[str] = Field(default_factory=list)
    public: bool = Field(
        default=False, description="True for the publishable variant (see balancer.public)"
    )
    provenance: Provenance
    timings: Timings


def versions() -> tuple[str, str]:
    """(balancer version, OR-Tools version) as installed."""
    return metadata.version("balancer"), metadata.version("ortools")


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell (autoescape has already handled HTML)."""
    return str(value).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "\u2013"  # an en dash: "no value"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text if text not in {"", "-0"} else "0"


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("balancer", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.filters["cell"] = _cell
_ENV.filters["num"] = _number


def render_markdown(report: Report, members: list[dict[str, str]]) -> str:
    """The report for a person. ``members`` holds only the columns safe to show per person."""
    template = _ENV.get_template("report.md.j2")
    return template.render(report=report, members=members)


def summary_table(report: Report) -> Table:
    """The short table the terminal shows after a run."""
    table = Table(title=f"{report.scenario}: {report.status}", show_lines=False)
    table.add_column("criterion")
    table.add_column("bounds", justify="right")
    table.add_column("board", justify="right")
    table.add_column("", justify="left")
    caps: dict[str, list[RuleOutcome]] = {}
    for rule in report.constraints:
        if rule.kind == "cap":
            caps.setdefault(rule.id.split(":", 1)[1].split("=", 1)[0], []).append(rule)
            continue
        bounds = f"{rule.min}..{rule.max}" if rule.min != rule.max else str(rule.min)
        mark = "" if rule.achieved is None else ("tight" if rule.tight else f"slack {rule.slack}")
        achieved = "" if rule.achieved is None else str(rule.achieved)
        table.add_row(rule.description, bounds, achieved, mark)
    for column, rules in caps.items():
        full = sum(1 for r in rules if r.tight)
        table.add_row(
            f"At most {rules[0].max} member(s) per {column} ({len(rules)} values could exceed it)",
            f"0..{rules[0].max}",
            "",
            f"{full} value(s) at the cap" if rules[0].achieved is not None else "",
        )
    return table
