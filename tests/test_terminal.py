"""What the terminal says first: the pool's supply before selecting, the binding criteria
with their price after, and a summary table whose every column has a header.

Checked on the messy convener fixture (tests/data/inputs/world.yaml: a semicolon
Windows-1252 CSV, genders spelt five ways, countries in any spelling): supply counted again
from the raw file with pandas, prices checked by selecting again with the rule relaxed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from rich.console import Console
from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.selection.report import binding_lines, summary_table, supply_table

INPUTS = Path(__file__).parent / "data" / "inputs"
CONFLICTS = Path(__file__).parent / "data" / "explain" / "two-conflicts.yaml"
WEOG = "Western European and Others: {min: 1, max: 2}"


def _world(tmp_path: Path, weog: str = WEOG) -> Path:
    """The messy fixture, with the Western European quota replaced by ``weog``."""
    shutil.copy(INPUTS / "world-pool.csv", tmp_path / "world-pool.csv")
    text = (INPUTS / "world.yaml").read_text("utf-8").replace(WEOG, weog)
    path = tmp_path / "world.yaml"
    path.write_text(text, "utf-8")
    return path


def _text(renderable: object) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def test_validate_supply_counts_the_raw_pool_again(tmp_path: Path) -> None:
    report = balancer.validate(_world(tmp_path)).report
    raw = pd.read_csv(INPUTS / "world-pool.csv", sep=";", encoding="cp1252", dtype=str)
    women = int(raw["Gender"].str.strip().str.lower().isin({"f", "female", "woman"}).sum())
    rows = {(r.column, r.value): r for r in report.supply}
    assert rows[("gender", "woman")].available == women
    assert rows[("gender", "woman")].min_seats == 3
    # The report carries the supply, so report.json and validate --json show it.
    assert report.model_dump()["supply"]
    table = _text(supply_table(report))
    assert "candidates" in table and "seats asked" in table and "pool can fill?" in table
    assert (
        f"woman   {women}" in " ".join(table.split("│")).replace("  ", " ") or str(women) in table
    )


def test_validate_flags_a_value_the_pool_cannot_fill() -> None:
    report = balancer.validate(CONFLICTS).report
    table = _text(supply_table(report))
    line = next(line for line in table.splitlines() if "disability" in line)
    assert "NO: short by 1" in line
    assert all("NO" not in line for line in table.splitlines() if "gender" in line)
    result = CliRunner().invoke(app, ["validate", str(CONFLICTS)])
    assert result.exit_code == 3
    assert "Pool supply" in result.output and "short by 1" in result.output


def test_binding_criteria_first_with_the_price_a_relaxed_run_confirms(tmp_path: Path) -> None:
    tight = "Western European and Others: {min: 2, max: 2}"
    report = balancer.select(_world(tmp_path, tight), workers=1).report
    lines = binding_lines(report)
    assert report.explanation is not None
    binding = [r for r in report.explanation.rules if r.status == "binding"]
    assert binding and len(lines) == 1 + len(binding)
    weog = next(line for line in lines if "Western European" in line)
    # Independently: the same scenario with one seat more room for that minimum.
    looser = tmp_path / "looser"
    looser.mkdir()
    relaxed = balancer.select(
        _world(looser, "Western European and Others: {min: 1, max: 2}"), workers=1
    ).report
    assert report.objective is not None and relaxed.objective is not None
    gained = report.objective.total_gap - relaxed.objective.total_gap
    assert gained > 0
    assert f"{gained:g} seats of total gap" in weog


def test_binding_lines_say_not_computed_without_explanation(tmp_path: Path) -> None:
    report = balancer.select(_world(tmp_path), workers=1, explain_board=False).report
    assert binding_lines(report) == [
        "Binding criteria: not computed (run without --no-explain to price them)."
    ]
    nothing = balancer.select(_world(tmp_path), workers=1).report
    assert binding_lines(nothing)[0].startswith("No criterion binds")


def test_summary_table_has_a_header_on_every_column(tmp_path: Path) -> None:
    selected = balancer.select(_world(tmp_path), workers=1).report
    table = summary_table(selected)
    assert [str(c.header) for c in table.columns] == ["criterion", "bounds", "board", "status"]
    validated = balancer.validate(_world(tmp_path)).report
    assert [str(c.header) for c in summary_table(validated).columns] == ["criterion", "bounds"]
    cli = CliRunner().invoke(app, ["select", str(_world(tmp_path)), "--out", str(tmp_path / "o")])
    assert cli.exit_code == 0
    assert cli.output.index("No criterion binds") < cli.output.index("criterion ")
