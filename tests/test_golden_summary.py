"""The bundled scenarios select the same boards: a golden summary of each report.json.

The summary is what a change must not move by accident: the status, the exact objective, the
rules that bind, the roster (and, for a scenario with no board, the rules of each minimal
conflict and the smallest relaxation). A change that moves it on purpose is accepted with

    BALANCER_ACCEPT=1 .venv/bin/python -m pytest tests/test_golden_summary.py

which rewrites ``tests/data/golden/*.summary.json``; the diff then shows what moved, for review.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from balancer.decide import audit
from balancer.selection.run import select

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden"
ACCEPT = bool(os.environ.get("BALANCER_ACCEPT"))

BUNDLED = {
    "sounding-board": ROOT / "scenarios" / "sounding-board.yaml",
    "wsis20-audit": ROOT / "scenarios" / "wsis20" / "audit.yaml",
}


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The parts of report.json that say which board and why (no timings, no provenance)."""
    objective = report["objective"]
    diagnosis = report["diagnosis"]
    return {
        "scenario": report["scenario"],
        "status": report["status"],
        "objective": None
        if objective is None
        else {k: objective[k] for k in ("max_gap_exact", "total_gap_exact", "score_total")},
        "unique": report["unique"],
        "binding": [c["id"] for c in report["constraints"] if c["tight"]],
        "broken": [
            c["id"]
            for c in report["constraints"]
            if c["achieved"] is not None and not c["min"] <= c["achieved"] <= c["max"]
        ],
        "roster": report["roster"],
        "conflicts": None if diagnosis is None else [c["rules"] for c in diagnosis["conflicts"]],
        "relaxation": None
        if diagnosis is None or diagnosis["relaxation"] is None
        else [(m["rule"], m["min_to"], m["max_to"]) for m in diagnosis["relaxation"]["moves"]],
    }


def audit_summary(report: audit.AuditReport) -> dict[str, Any]:
    """The audit of the bundled members list: what is missed, and by how many seats."""
    return {
        "met": report.met,
        "violated": [
            (r.id, r.achieved, r.short_by, r.over_by)
            for r in report.constraints
            if not r.met and r.assessable
        ],
        "not_assessable": [r.id for r in report.constraints if not r.assessable],
        "objective": None
        if report.objective is None
        else [report.objective.max_gap_exact, report.objective.total_gap_exact],
        "optimum_possible": report.optimum_possible,
    }


def _compare(name: str, found: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.summary.json"
    text = json.dumps(found, indent=2, ensure_ascii=False) + "\n"
    if ACCEPT:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with BALANCER_ACCEPT=1 to write it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(text) == expected, (
        f"{name} moved; if on purpose, accept with BALANCER_ACCEPT=1"
    )


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_scenario_selects_the_golden_board(name: str) -> None:
    result = select(BUNDLED[name], workers=1, explain_board=False)
    report = json.loads(result.report.model_dump_json())
    _compare(name, summary(report))


def test_bundled_audit_finds_the_golden_misses() -> None:
    report = audit.audit(
        ROOT / "scenarios" / "wsis20" / "members.csv", BUNDLED["wsis20-audit"], workers=1
    )
    _compare("wsis20-check", audit_summary(report))
