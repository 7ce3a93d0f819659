"""The public variant of the outputs never ties a person to a sensitive value or a non-selection.

The scenario makes the sensitive column bite: the only three disabled candidates are men of
region A, a quota asks for 3 disabled members on a board of 4, so the quota binds and each of
the three is required by it. The full outputs say all of that per person (and answer
why-not questions about candidates who were left out); the public ones must not. Every check
is run on both variants, so a check that could never fail would show up as a passing public
variant *and* a passing full one.

Ids and names use letters that are not hex digits, so they cannot turn up by chance inside a
SHA-256 in the provenance.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.io.files import parse_scenario_text
from balancer.selection.run import Result

SENSITIVE = "disability"
POOL = pd.DataFrame(
    [
        ("kz01", "Quill Oxley", "man", "A", "yes"),
        ("kz02", "Rhys Yarrow", "man", "A", "yes"),
        ("kz03", "Silas Quorn", "man", "A", "yes"),
        ("kz04", "Tova Wren", "woman", "A", "no"),
        ("kz05", "Una Vosk", "woman", "A", "no"),
        ("kz06", "Vera Quint", "woman", "B", "no"),
        ("kz07", "Wynn Zorro", "woman", "B", "no"),
        ("kz08", "Xeno Pike", "man", "B", "no"),
        ("kz09", "Yuri Knox", "man", "B", "no"),
        ("kz10", "Zora Mull", "man", "A", "no"),
    ],
    columns=["id", "name", "gender", "region", SENSITIVE],
)
SPEC: dict[str, Any] = {
    "name": "Public test board",
    "board_size": 4,
    "pool": "pool.csv",
    "quotas": {SENSITIVE: {"yes": {"min": 3}}},
    "targets": {"gender": "equal", "region": "equal"},
}
DISABLED = {"kz01", "kz02", "kz03"}
ASKED = ["kz04", "kz08", "kz10", "kz01"]
FILES = ("report.json", "report.md", "report.html", "roster.csv")


def select(spec: Mapping[str, Any] = SPEC) -> Result:
    scenario = parse_scenario_text(yaml.safe_dump(dict(spec)))
    return balancer.select(scenario, POOL, workers=1, why_not=ASKED)


@pytest.fixture(scope="module")
def result() -> Result:
    return select()


def written(result: Result, folder: Path, public: bool) -> dict[str, str]:
    result.write(folder, public=public)
    internal = [] if public else ["normalisation.csv"]  # the record of raw values: internal
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, *internal])
    return {name: (folder / name).read_text(encoding="utf-8") for name in FILES}


def outsiders(result: Result) -> list[tuple[str, str]]:
    """(id, name) of every candidate who is not on the board."""
    members = set(result.roster_ids)
    return [(str(row.id), str(row.name)) for row in POOL.itertuples() if str(row.id) not in members]


def records(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object that is an item of a list: a rule, a member, a composition row, ..."""
    if isinstance(node, dict):
        for value in node.values():
            yield from records(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, dict):
                yield value
            yield from records(value)


def strings(node: Any) -> Iterator[str]:
    """Every key and every string value in a JSON fragment."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def html_pieces(html: str) -> list[str]:
    """The HTML cut at every row, list item, paragraph and definition: one statement each."""
    return re.split(r"<(?:tr|li|p|dd|dt|h\d)\b", html)


def leaks(result: Result, files: Mapping[str, str]) -> list[str]:
    """Everything in the files that ties a person to the sensitive column or a non-selection."""
    found: list[str] = []
    members = result.roster_ids
    # 1. No candidate left out is named, by id or by name, in any file.
    for cid, name in outsiders(result):
        for file, text in files.items():
            if cid in text or name in text:
                found.append(f"{file} names {cid} ({name}), who is not on the board")
    # 2. No per-person sensitive column: not in the roster, not in a members table.
    roster = pd.read_csv(io.StringIO(files["roster.csv"]), dtype=str)
    if SENSITIVE in roster.columns:
        found.append("roster.csv has a disability column")
    markdown = files["report.md"]
    table = markdown.split("## Members", 1)[1].split("\n## ", 1)[0]
    if SENSITIVE in table:
        found.append("report.md's members table has a disability column")
    html = files["report.html"]
    section = html.split('<section id="members">', 1)[1].split("</section>", 1)[0]
    if SENSITIVE in section:
        found.append("report.html's members table has a disability column")
    # 3. Nothing that names a member says anything about disability.
    pieces = {
        "report.md": markdown.splitlines(),
        "report.html": html_pieces(html),
    }
    for file, parts in pieces.items():
        for part in parts:
            if SENSITIVE in part and any(m in part for m in members):
                found.append(f"{file}: {part.strip()[:160]}")
    report = json.loads(files["report.json"])
    for record in records(report):
        texts = list(strings(record))
        if any(m in texts for m in members) and any(SENSITIVE in t for t in texts):
            found.append(f"report.json: {json.dumps(record)[:160]}")
    # 4. Nobody would "come in" under a changed rule; no why-not answers.
    explanation = report["explanation"]
    if explanation["why_not"]:
        found.append("report.json has why-not answers")
    for rule in explanation["rules"]:
        for change in (rule["relaxed"], rule["dropped"]):
            if change and change["comes_in"]:
                found.append(f"report.json: {rule['id']} names who comes in")
    return found


def test_public_files_tie_nobody_to_disability(result: Result, tmp_path: Path) -> None:
    assert result.status == "optimal"
    assert set(result.roster_ids) >= DISABLED
    files = written(result, tmp_path, public=True)
    assert leaks(result, files) == []
    report = json.loads(files["report.json"])
    assert report["public"] is True


def test_full_files_do_tie_people_to_disability(result: Result, tmp_path: Path) -> None:
    """The same checks find plenty in the full variant: they are able to fail."""
    files = written(result, tmp_path, public=False)
    found = leaks(result, files)
    assert any("roster.csv has a disability column" in f for f in found)
    assert any("why-not answers" in f for f in found)
    assert any("comes in" in f for f in found)
    assert any("forced_by" in f or "quota:disability" in f for f in found)
    assert any("report.md names kz04" in f for f in found)
    report = json.loads(files["report.json"])
    answers = {a["id"]: a["reason"] for a in report["explanation"]["why_not"]}
    assert answers == {
        "kz04": "less balanced",
        "kz08": "less balanced",
        "kz10": "less balanced",
        "kz01": "on the board",
    }
    assert "## Why not" in files["report.md"]
    assert "kz04" in files["report.html"]


def test_required_member_names_no_rule(result: Result, tmp_path: Path) -> None:
    """With three disabled candidates and a quota of three, "a confidential criterion requires
    them" would say who is disabled: the public reason names no rule for any required member."""
    full = {
        m["id"]: m
        for m in json.loads(written(result, tmp_path / "full", False)["report.json"])[
            "explanation"
        ]["members"]
    }
    public_files = written(result, tmp_path / "public", True)
    public = {m["id"]: m for m in json.loads(public_files["report.json"])["explanation"]["members"]}
    for cid in sorted(DISABLED):
        assert full[cid]["reason"] == "required"
        assert full[cid]["forced_by"] == ["quota:disability=yes:min"]
        member = public[cid]
        assert member["reason"] == "required"
        assert member["confidential"] is True
        assert member["forced_by"] == []
        assert member["sentence"] == f"No board meeting every criterion exists without {cid}."
        for file in ("report.md", "report.html"):
            lines = [p for p in re.split(r"\n|<tr\b", public_files[file]) if cid in p]
            assert not any("confidential" in line for line in lines), file
    required = [m for m in public.values() if m["reason"] == "required"]
    assert all(m["forced_by"] == [] for m in required)
    # The confidential rule itself is still there, priced, with nobody named on either side.
    report = json.loads(public_files["report.json"])
    (quota,) = [r for r in report["explanation"]["rules"] if r["id"] == "quota:disability=yes:min"]
    assert quota["status"] == "binding"
    for change in (quota["relaxed"], quota["dropped"]):
        assert change["possible"] and change["max_gap"] == 0
        assert change["comes_in"] == [] and change["goes_out"] == []


def test_public_roster_holds_members_without_sensitive_column(
    result: Result, tmp_path: Path
) -> None:
    roster = pd.read_csv(io.StringIO(written(result, tmp_path, True)["roster.csv"]), dtype=str)
    assert list(roster.columns) == ["id", "name", "gender", "region"]
    assert roster["id"].tolist() == result.roster_ids


def test_public_report_object_is_a_copy(result: Result) -> None:
    """Redacting for publication leaves the full report (and its why-not answers) intact."""
    public = result.published(public=True)
    assert public.explanation is not None and public.explanation.why_not == []
    assert result.report.explanation is not None
    assert [a.id for a in result.report.explanation.why_not] == ASKED
    assert result.report.public is False


def test_cli_public_flag(tmp_path: Path) -> None:
    POOL.to_csv(tmp_path / "pool.csv", index=False)
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "out"
    args = ["select", str(tmp_path / "scenario.yaml"), "--out", str(out), "--workers", "1"]
    outcome = CliRunner().invoke(app, [*args, "--public", "--why-not", "kz04"])
    assert outcome.exit_code == 0, outcome.output
    files = {name: (out / name).read_text(encoding="utf-8") for name in FILES}
    result = select()
    assert leaks(result, files) == []


def test_public_files_do_not_name_excluded_candidates(tmp_path: Path) -> None:
    """kz09 is excluded: not on the board, so the public files must not name them."""
    result = select({**SPEC, "exclude": ["kz09"]})
    assert "kz09" not in result.roster_ids
    files = written(result, tmp_path, public=True)
    assert leaks(result, files) == []


def test_public_diagnosis_does_not_name_candidates(tmp_path: Path) -> None:
    """No board: kz04 (woman of A) is included, region A may hold 3, 3 disabled men of A."""
    spec = {**SPEC, "include": ["kz04"], "quotas": {**SPEC["quotas"], "region": {"A": {"max": 3}}}}
    result = select(spec)
    assert result.status == "infeasible"
    diagnosis = result.report.diagnosis
    assert diagnosis is not None
    assert [sorted(c.rules) for c in diagnosis.conflicts] == [
        ["include:kz04", "quota:disability=yes:min", "quota:region=A:max"]
    ]
    files = result.files(public=True)
    assert "roster.csv" not in files
    for name, text in files.items():
        assert "kz04" not in text, name
