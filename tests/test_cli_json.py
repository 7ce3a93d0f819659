"""``--json`` prints the library's document: the same as calling the library (timings and
provenance aside, which say when and how, not what)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.decide import audit
from balancer.decide.compare import compare_arguments
from balancer.selection import run
from tests.test_provenance import _files


def _cli(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="balancer")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


def _what(document: dict[str, Any]) -> dict[str, Any]:
    """The document without when and how it was made."""
    document = dict(document)
    document.pop("timings", None)
    document.pop("provenance", None)
    if "options" in document:
        document["options"] = [
            {k: v for k, v in option.items() if k != "provenance"} for option in document["options"]
        ]
    return document


def _library(document: Any) -> dict[str, Any]:
    return _what(json.loads(document.model_dump_json()))


def test_json_equals_the_library_result(tmp_path: Path) -> None:
    scenario, _ = _files(tmp_path)
    out = tmp_path / "out"

    code, printed = _cli(
        "select", scenario, "--json", "--no-explain", "--workers", "1", "--out", out
    )
    chosen = balancer.select(scenario, workers=1, explain_board=False)
    assert code == 0 and _what(printed) == _library(chosen.report)
    assert printed["provenance"]["command"].startswith("balancer ")

    code, printed = _cli("validate", scenario, "--json")
    assert code == 0 and _what(printed) == _library(run.validate(scenario).report)

    roster = out / "roster.csv"
    code, printed = _cli("check", roster, "--scenario", scenario, "--json", "--out", tmp_path / "c")
    assert code == 0 and _what(printed) == _library(audit.audit(roster, scenario, workers=1))

    boards = [str(scenario), f"{roster}@{scenario}"]
    code, printed = _cli("compare", *boards, "--json", "--workers", "1", "--out", tmp_path / "d")
    assert code == 0 and _what(printed) == _library(compare_arguments(boards, workers=1))
