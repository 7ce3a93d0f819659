"""The Markdown report: a golden file for the bundled scenario, and escaping of hostile cells."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

import balancer
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.selection.run import Result
from tests.cases import too_demanding

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden"


def _frozen(result: Result) -> Result:
    """Pin what legitimately changes between runs (time, versions, paths) before comparing."""
    provenance = result.report.provenance
    provenance.balancer_version = "X.Y.Z"
    provenance.solver_version = "X.Y.Z"
    provenance.created = "2026-01-01T00:00:00+00:00"
    provenance.command = "balancer select scenarios/sounding-board.yaml --out out/"
    if provenance.scenario_file:
        provenance.scenario_file = "scenarios/sounding-board.yaml"
    if provenance.pool_file:
        provenance.pool_file = "scenarios/pools/sounding-board.csv"
    provenance.workers = 1
    timings = result.report.timings
    timings.total, timings.solve = 1.0, 0.5
    return result


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BALANCER_ACCEPT") or os.environ.get("BALANCER_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing: run with BALANCER_ACCEPT=1"
    assert text == path.read_text(encoding="utf-8")


def test_bundled_scenario_report_matches_golden() -> None:
    result = _frozen(balancer.select(ROOT / "scenarios" / "sounding-board.yaml", workers=1))
    assert result.status == "optimal"
    _check_golden("sounding-board.md", result.markdown())


def test_infeasible_report_matches_golden() -> None:
    result = _frozen(too_demanding())
    assert result.status == "infeasible"
    text = result.markdown()
    assert "disability=yes needs 2 seats, the pool has 1 such candidate." in text
    _check_golden("infeasible.md", text)


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", "Quote \" and ' marks", "=cmd|' /C calc'!A0", "a | b"],
)
def test_hostile_names_are_escaped_in_markdown(hostile: str) -> None:
    pool = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": [hostile, "Bo", "Cy", "Di"],
            "gender": ["woman", "man", "woman", "man"],
        }
    )
    scenario = parse_scenario_text(
        "board_size: 2\npool: x.csv\ninclude: [a]\ntargets: {gender: equal}\n"
    )
    text = balancer.select(scenario, pool_from_frame(pool), workers=1).markdown()
    assert "<script>" not in text
    member_rows = [line for line in text.splitlines() if line.startswith("| 1 | a |")]
    assert len(member_rows) == 1
    # A pipe inside a cell must not split the table row: the row keeps its column count.
    assert member_rows[0].count(" | ") - member_rows[0].count("\\|") >= 3
    # Escaped as Markdown, not as HTML: a Markdown viewer shows the name as typed.
    assert "&lt;" not in text and "&#39;" not in text and "&amp;" not in text
    cells = re.split(r"(?<!\\)\|", member_rows[0])
    assert re.sub(r"\\(.)", r"\1", cells[3]).strip() == hostile.strip()


def test_sensitive_column_is_never_shown_per_member() -> None:
    result = balancer.select(ROOT / "scenarios" / "sounding-board.yaml", workers=1)
    text = result.markdown()
    header = next(line for line in text.splitlines() if line.startswith("| # |"))
    assert "disability" not in header
    assert "### disability (confidential: totals only)" in text
