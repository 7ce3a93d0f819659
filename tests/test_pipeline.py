"""Every command, end to end through the CLI, on a messy convener fixture.

``tests/data/messy/`` holds a nomination export as a convener gets it (an XLSX with its own
headers, two spellings of one country, genders and stakeholder groups spelt several ways,
several groups to a cell, empty cells, an id that a spreadsheet would run as a formula), its
scenario, an id-only roster and a raw-export roster. The rules are checked here by a recount
written for this test: the XLSX is read with openpyxl and normalised by hand-written tables,
not by balancer's reader or normaliser, so a board that breaks a rule cannot pass because
balancer misread the pool the same way twice.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from balancer.cli import app

MESSY = Path(__file__).parent / "data" / "messy"
SCENARIO = MESSY / "messy.yaml"
BOARD = 9

# The recount's own reading of the export: header -> field, and every spelling in it.
HEADERS = {
    "Nominee ID": "id",
    "Country of residence": "country",
    "Gender": "gender",
    "Disability": "disability",
    "Stakeholder group(s)": "groups",
    "Organisation": "organisation",
}
GENDER = {"f": "woman", "female": "woman", "woman": "woman", "m": "man", "male": "man"}
GROUP = {
    "gov": "Government",
    "cso": "Civil Society",
    "private": "Private Sector",
    "tech community": "Technical Community",
    "academia": "Academic",
}
SAME_COUNTRY = {"UK": "United Kingdom"}
REGION = {
    "African": "Ghana Nigeria Kenya Egypt South-Africa Mauritius Côte-d'Ivoire",
    "Asia-Pacific": "India Fiji Samoa Philippines Japan Viet-Nam Nepal Indonesia",
    "Eastern European": "Poland Ukraine Romania Georgia",
    "Latin American and Caribbean": "Brazil Jamaica Chile Mexico Barbados Peru Colombia Argentina",
    "Western European and Others": "United-Kingdom Germany Canada France Sweden",
}
REGION_OF = {
    country.replace("-", " "): region
    for region, countries in REGION.items()
    for country in countries.split()
}
SIDS = {"Fiji", "Samoa", "Jamaica", "Barbados", "Mauritius"}


@dataclass(frozen=True)
class Person:
    id: str
    country: str
    region: str
    gender: str
    disability: str
    groups: frozenset[str]
    organisation: str


def _person(cells: dict[str, str]) -> Person | None:
    """One export row as the scenario means it; None for a row the scenario leaves out."""
    gender = GENDER.get(cells["gender"].strip().lower())
    if gender is None:  # missing: {gender: exclude}
        return None
    country = SAME_COUNTRY.get(cells["country"].strip(), cells["country"].strip())
    return Person(
        id=cells["id"].strip(),
        country=country,
        region=REGION_OF[country],
        gender=gender,
        disability=cells["disability"].strip() or "unknown",
        groups=frozenset(GROUP[p.strip().lower()] for p in cells["groups"].split(";") if p.strip()),
        organisation=cells["organisation"].strip(),
    )


def read_export() -> dict[str, Person]:
    """The pool, read from the XLSX by openpyxl and this module's tables alone."""
    book = openpyxl.load_workbook(MESSY / "nominations.xlsx", read_only=True)
    rows = list(book["Nominations"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    people = {}
    for row in rows[1:]:
        raw = dict(zip(header, ["" if c is None else str(c) for c in row], strict=True))
        person = _person({field: raw[h] for h, field in HEADERS.items()})
        if person is not None:
            people[person.id] = person
    return people


POOL = read_export()


def broken_rules(ids: list[str], outsiders: dict[str, Person] | None = None) -> list[str]:
    """Every rule of messy.yaml the board breaks, recounted from the export.

    ``outsiders`` are members from outside the pool, read from their own roster row.
    """
    board = [POOL[i] if i in POOL else (outsiders or {})[i] for i in ids]
    regions = Counter(p.region for p in board)
    broken = []
    if len(set(ids)) != BOARD or len(ids) != BOARD:
        broken.append("board size")
    for region in REGION:
        if regions[region] < 1:
            broken.append(f"region {region} min 1")
    if regions["Western European and Others"] > 2:
        broken.append("WEOG max 2")
    if sum(p.gender == "woman" for p in board) < math.ceil(0.45 * BOARD):
        broken.append("women min 45%")
    if not any(p.country in SIDS for p in board):
        broken.append("SIDS min 1")
    if not any(p.disability == "yes" for p in board):
        broken.append("disability min 1")
    if sum("Government" in p.groups for p in board) > 2:
        broken.append("Government max 2")
    if "-EX1" not in ids:
        broken.append("include -EX1")
    for field in ("country", "organisation"):
        counts = Counter(getattr(p, field) for p in board)
        broken += [f"cap {field} {v}" for v, n in counts.items() if v and n > 1]
    return broken


def run(*args: str | Path, code: int = 0) -> str:
    """Invoke the CLI; assert the exit code and that no traceback escaped."""
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="balancer")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def roster_ids(path: Path) -> list[str]:
    """Ids from a roster.csv balancer wrote (its ``'`` before formula-like cells undone)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    column = header.index("id")
    return [line.split(",")[column].removeprefix("'") for line in lines[1:]]


@pytest.fixture(scope="module")
def selected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``select`` run with every option; the later commands start from its roster."""
    out = tmp_path_factory.mktemp("select")
    run(
        "select",
        SCENARIO,
        "--out",
        out,
        "--alternatives",
        "3",
        "--alternates",
        "2",
        "--why-not",
        "N03",
        "--workers",
        "1",
    )
    return out


def _report(folder: Path, name: str = "report.json") -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def test_the_recount_reads_the_export_as_the_scenario_means_it() -> None:
    assert len(POOL) == 35  # N34 has no gender: missing: exclude
    assert POOL["N03"].country == POOL["N04"].country == "United Kingdom"
    assert POOL["N22"].groups == {"Civil Society", "Government"}


def test_select_with_every_option_meets_every_rule(selected: Path) -> None:
    report = _report(selected)
    assert report["status"] == "optimal"
    assert broken_rules(report["roster"]) == []
    assert roster_ids(selected / "roster.csv") == report["roster"]
    assert "'-EX1" in (selected / "roster.csv").read_text(encoding="utf-8")  # neutralised
    alternatives = report["alternatives"]["boards"]
    assert len(alternatives) == 3
    assert alternatives[0]["roster"] == report["roster"]
    for board in alternatives:
        assert broken_rules(board["roster"]) == []
    assert len({tuple(b["roster"]) for b in alternatives}) == 3
    alternates = report["alternates"]["alternates"]
    assert len(alternates) == 2
    assert all(a["id"] not in report["roster"] for a in alternates)
    [why_not] = report["explanation"]["why_not"]
    assert why_not["id"] == "N03" and "N03" in why_not["sentence"]
    assert "N03" not in report["roster"]


def test_replace_a_member_of_selects_own_roster(selected: Path, tmp_path: Path) -> None:
    board = _report(selected)["roster"]
    leaving = next(cid for cid in board if cid != "-EX1")
    output = run(
        "replace",
        selected / "roster.csv",
        "--scenario",
        SCENARIO,
        "--drop",
        leaving,
        "--out",
        tmp_path,
        "--quiet",
    )
    assert "New roster" in output
    replacement = _report(tmp_path, "replacement.json")
    assert replacement["status"] == "replaced"
    new = replacement["roster"]
    assert leaving not in new and set(board) - {leaving} <= set(new)
    assert broken_rules(new) == []
    assert roster_ids(tmp_path / "roster.csv") == new


def test_check_of_selects_own_roster_reports_all_met(selected: Path, tmp_path: Path) -> None:
    output = run(
        "check", selected / "roster.csv", "--scenario", SCENARIO, "--out", tmp_path, "--quiet"
    )
    assert "Every constraint is met." in output
    audit = _report(tmp_path)
    assert audit["met"] is True and audit["not_in_pool"] == []
    assert audit["members"] == _report(selected)["roster"]
    assert audit["to_optimum"]["changes"] == 0


@pytest.mark.parametrize("header", ["Nominee ID", "id"])
def test_check_an_id_only_roster(tmp_path: Path, header: str) -> None:
    text = (MESSY / "roster-ids.csv").read_text(encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(text.replace("Nominee ID", header, 1), encoding="utf-8")
    ids = text.splitlines()[1:]
    broken = broken_rules(ids)
    run("check", roster, "--scenario", SCENARIO, "--out", tmp_path / "out", code=3 if broken else 0)
    audit = _report(tmp_path / "out")
    assert audit["members"] == ids
    assert audit["met"] == (not broken)
    assert audit["violated"] >= (1 if broken else 0)


def test_check_a_raw_export_with_a_member_from_outside_the_pool(tmp_path: Path) -> None:
    """The export's own headers and spellings are read as the pool's; pool values count."""
    with (MESSY / "roster-export.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    export = [_person({field: row[h] for h, field in HEADERS.items()}) for row in rows]
    people = {p.id: p for p in export if p is not None}
    ids = [row["Nominee ID"] for row in rows]
    broken = broken_rules(ids, {"L01": people["L01"]})
    output = run(
        "check",
        MESSY / "roster-export.csv",
        "--scenario",
        SCENARIO,
        "--out",
        tmp_path,
        code=3 if broken else 0,
    )
    assert "Not in the pool" in output and "L01" in output
    audit = _report(tmp_path)
    assert audit["members"] == ids and audit["met"] == (not broken)
    assert audit["not_in_pool"] == ["L01"]
    seats = {(r["column"], r["value"]): r["board"] for r in audit["composition"]}
    # L01 (UK, a late nomination) is Western European and Others through derive and aliases.
    weog = sum(POOL[i].region == "Western European and Others" for i in audit["members"][:-1])
    assert seats[("un_region", "Western European and Others")] == weog + 1
    # N18's disability is empty in the export but 'yes' in the pool: the pool's value counts.
    assert seats[("disability", "yes")] == 2
    # N35 is 'CSO' in the export, 'Academia; CSO' in the pool.
    academic = sum("Academic" in POOL[i].groups for i in audit["members"][:-1]) + 1
    assert seats[("stakeholder_group", "Academic")] == academic


def test_compare_a_scenario_with_its_own_roster(selected: Path, tmp_path: Path) -> None:
    roster = f"{selected / 'roster.csv'}@{SCENARIO}"
    run("compare", SCENARIO, roster, "--out", tmp_path, "--quiet")
    comparison = _report(tmp_path, "compare.json")
    solved, judged = comparison["options"]
    assert solved["source"] == "solved" and judged["source"] == "roster"
    assert solved["roster"] == judged["roster"] == _report(selected)["roster"]
    assert judged["status"] == "meets every rule"
    assert comparison["only"] == [[], []]


def test_roster_readers_take_the_quote_off_formula_like_ids(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id\n'-EX1\nN02\n", encoding="utf-8")
    out = tmp_path / "out"
    run("check", roster, "--scenario", SCENARIO, "--out", out, code=3)
    assert _report(out)["members"] == ["-EX1", "N02"]
    assert _report(out)["not_in_pool"] == []


def test_validate_reads_the_export_and_says_a_board_exists() -> None:
    output = run("validate", SCENARIO)
    assert f"OK: {len(POOL)} candidates" in output


def test_select_public_keeps_sensitive_values_off_every_member(tmp_path: Path) -> None:
    run("select", SCENARIO, "--out", tmp_path, "--public", "--no-explain", "--workers", "1")
    header = (tmp_path / "roster.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "disability" not in header and "name" in header
    report = _report(tmp_path)
    assert report["public"] is True
    assert broken_rules(report["roster"]) == []
    for path in tmp_path.iterdir():
        for line in path.read_text(encoding="utf-8").splitlines():
            if any(cid in line for cid in report["roster"]):
                assert "disability" not in line.lower(), (path.name, line)


def test_compare_solves_the_same_board_as_select(selected: Path, tmp_path: Path) -> None:
    ids_roster = f"{MESSY / 'roster-ids.csv'}@{SCENARIO}"
    run("compare", SCENARIO, ids_roster, "--out", tmp_path)
    solved, judged = _report(tmp_path, "compare.json")["options"]
    assert solved["roster"] == _report(selected)["roster"]
    ids = (MESSY / "roster-ids.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert judged["roster"] == sorted(ids, key=list(POOL).index)
    assert (judged["status"] == "meets every rule") == (not broken_rules(ids))


def test_sweep_over_board_sizes(tmp_path: Path) -> None:
    run("sweep", SCENARIO, "--vary", "board_size=9..10", "--out", tmp_path, "--quiet")
    table = json.loads(
        next(p for p in tmp_path.iterdir() if p.suffix == ".json").read_text(encoding="utf-8")
    )
    results = {r["point"]["board_size"]: r for r in table["results"]}
    assert set(results) == {9, 10}
    assert results[9]["status"] == "optimal"
    assert broken_rules(results[9]["roster"]) == []
    assert len(results[10]["roster"]) in (0, 10)


def test_lottery_then_verify_the_published_boards(tmp_path: Path) -> None:
    run(
        "lottery",
        SCENARIO,
        "--out",
        tmp_path,
        "--boards",
        "50",
        "--workers",
        "1",
        "--draw",
        "7",
    )
    lines = (tmp_path / "boards.csv").read_text(encoding="utf-8").splitlines()[1:]
    boards = [[cid.removeprefix("'") for cid in line.split(",")[1:]] for line in lines]
    assert len(boards) == 50
    for board in boards:
        assert broken_rules(board) == []
    record = json.loads((tmp_path / "lottery.json").read_text(encoding="utf-8"))
    assert record["rule"] == "leximin" and record["gap_limit"] is None
    seated = Counter(cid for board in boards for cid in board)
    assert seated["-EX1"] == 50  # included: on every board
    output = run("verify", tmp_path, "--draw", "7", "--scenario", SCENARIO)
    assert "checks out" in output and ", ".join(boards[6]) in " ".join(output.split())
    (tmp_path / "boards.csv").write_text(
        (tmp_path / "boards.csv").read_text(encoding="utf-8").replace("N", "M", 1),
        encoding="utf-8",
    )
    run("verify", tmp_path, "--draw", "7", code=3)


def test_export_sf_then_import_sf_gives_the_same_quotas(tmp_path: Path) -> None:
    run("export-sf", SCENARIO, "--out", tmp_path)
    people = (tmp_path / "people.csv").read_text(encoding="utf-8").splitlines()
    assert people[0].split(",")[0] == "id" and len(people) == len(POOL) + 1
    assert "'-EX1" in people[1]  # still neutralised for spreadsheets
    target = tmp_path / "back.yaml"
    run(
        "import-sf",
        tmp_path / "features.csv",
        tmp_path / "people.csv",
        "--size",
        str(BOARD),
        "--out",
        target,
    )
    output = run("validate", target)
    assert f"{len(POOL)} candidates" in output


def test_alternatives_options_are_refused_before_any_solve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from balancer.selection import run as selection

    def no_solving(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before the options were checked")

    monkeypatch.setattr(selection, "solve", no_solving)
    output = run(
        "select",
        SCENARIO,
        "--out",
        tmp_path,
        "--alternatives",
        "3",
        "--min-difference",
        "99",
        code=2,
    )
    assert "--min-difference" in output and "99" in output
    assert not any(tmp_path.iterdir())


def test_a_roster_without_ids_or_with_strangers_is_one_clear_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Who\nN01\n", encoding="utf-8")
    output = run("check", roster, "--scenario", SCENARIO, "--out", tmp_path / "out", code=2)
    assert "has no id column" in output and "'Nominee ID'" in output
    roster.write_text("id\n-EX1\nN01\nN0l\n", encoding="utf-8")
    output = run(
        "replace",
        roster,
        "--scenario",
        SCENARIO,
        "--drop",
        "N01",
        "--out",
        tmp_path / "out",
        code=2,
    )
    assert "N0l" in output and "is not an id in the pool" in output
    assert not (tmp_path / "out").exists()
