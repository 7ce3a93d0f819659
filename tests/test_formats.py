"""Real-world files: CSV dialects and encodings, hostile XLSX, a million rows, Excel output."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from balancer import api
from balancer.cli import app
from balancer.io.files import load_scenario, read_pool
from balancer.io.formats.sortition_foundation import read_features
from balancer.io.normalise import prepare_pool
from balancer.spec.errors import InputError

INPUTS = Path(__file__).parent / "data" / "inputs"
ROWS = 'id{d}name{d}gender\na{d}Ana{d}woman\nb{d}"Bo, Jr{d}"{d}man\n'


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_common_delimiter(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "pool.csv"
    path.write_text(ROWS.format(d=delimiter), encoding="utf-8")
    table = read_pool(path).table
    assert table.to_dict("list") == {
        "id": ["a", "b"],
        "name": ["Ana", f"Bo, Jr{delimiter}".strip()],  # cells are trimmed
        "gender": ["woman", "man"],
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_common_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "pool.csv"
    path.write_bytes("id;name\na;José\nb;Zoë\n".encode(encoding))
    pool = read_pool(path)
    assert pool.table.to_dict("list") == {"id": ["a", "b"], "name": ["José", "Zoë"]}
    assert bool(pool.notes) == (encoding == "cp1252")


def test_encoding_key_is_used(tmp_path: Path) -> None:
    (tmp_path / "pool.csv").write_bytes("id,name\na,Ĺuboš\n".encode("cp1250"))
    (tmp_path / "s.yaml").write_text(
        "board_size: 1\npool: pool.csv\nencoding: cp1250\n", encoding="utf-8"
    )
    problem, _ = api.prepare(tmp_path / "s.yaml")
    assert problem.pool.table["name"].tolist() == ["Ĺuboš"]
    assert read_pool(tmp_path / "pool.csv", encoding="cp1250").notes == ()
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_pool(tmp_path / "pool.csv", encoding="klingon")


def test_empty_rows_are_dropped_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("id,gender\na,woman\n,\n,\nb,\nc,man\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "board_size: 1\npool: pool.csv\nquotas: {gender: {woman: {min: 1}}}\n", encoding="utf-8"
    )
    assert read_pool(path).table["id"].tolist() == ["a", "b", "c"]
    with pytest.raises(InputError) as caught:
        api.prepare(tmp_path / "s.yaml")
    assert "empty in 1 row(s) (row 5)" in str(caught.value)


def _workbook(path: Path, merged: bool = False) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cover"
    pool = book.create_sheet("Candidates")
    pool.append(["ID", "Gender", "UN region", "Note"])
    pool.append(["a", "woman", "African", '=HYPERLINK("http://x")'])
    pool.append(["b", "man", "Asia-Pacific", "=1+1"])
    pool.append([None, None, None, None])
    pool.append(["c", "woman", "Eastern European", "@SUM(A1)"])
    if merged:
        pool.merge_cells("B1:C1")
    book.save(path)
    return path


def test_xlsx_named_sheet_own_column_names_and_formulas_as_text(tmp_path: Path) -> None:
    _workbook(tmp_path / "pool.xlsx")
    (tmp_path / "s.yaml").write_text(
        "board_size: 2\npool: {path: pool.xlsx, sheet: Candidates, id_column: ID}\n"
        'columns: {Gender: gender, "UN region": un_region}\n'
        "quotas: {gender: {woman: {min: 1}}, un_region: {African: {min: 1}}}\n",
        encoding="utf-8",
    )
    problem, _ = api.prepare(tmp_path / "s.yaml")
    table = problem.pool.table
    assert table["ID"].tolist() == ["a", "b", "c"]
    assert table["Note"].tolist() == ['=HYPERLINK("http://x")', "=1+1", "@SUM(A1)"]
    assert any("2 cell(s) hold formulas" in w for w in problem.warnings)
    result = api.select(tmp_path / "s.yaml", explain_board=False)
    files = result.files(excel=True)
    roster = files["roster.csv"]
    assert roster.startswith("\ufeffID,")
    assert "'=" in roster or "'@" in roster  # formula-like cells are neutralised on output


def test_merged_header_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "pool.xlsx", merged=True)
    with pytest.raises(InputError) as caught:
        read_pool(path, sheet="Candidates", id_column="ID")
    assert "cells B1:C1: a merged header cell; unmerge it" in str(caught.value)


@pytest.mark.slow
def test_a_million_rows_quickly(tmp_path: Path) -> None:
    size = 1_000_000
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(size)],
            "gender": rng.choice(["F", "M", "female", "male"], size),
            "country": rng.choice(["Kenya", "KEN", "Fiji", "Brazil", "Japan", "Türkiye"], size),
        }
    )
    path = tmp_path / "big.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";").encode("utf-8-sig"))
    (tmp_path / "s.yaml").write_text(
        "board_size: 10\npool: big.csv\nderive: {un_region: country, sids: country}\n"
        "aliases: {gender: {F: woman, female: woman, M: man, male: man}}\n"
        "quotas: {sids: {yes: {min: 2}}, gender: {woman: {min: 5}}}\n"
        "targets: {un_region: equal}\n",
        encoding="utf-8",
    )
    start = time.perf_counter()
    scenario = load_scenario(tmp_path / "s.yaml").scenario
    prepared = prepare_pool(scenario, read_pool(path), "s.yaml")  # the lottery is not ours
    elapsed = time.perf_counter() - start
    assert prepared.problems == []
    table = prepared.pool.table
    assert len(table) == size
    assert set(table["gender"].unique()) == {"woman", "man"}
    assert set(table["sids"].unique()) == {"yes", "no"}
    assert elapsed < 20, f"reading and preparing 1M rows took {elapsed:.1f} s"


def test_world_fixture_end_to_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["select", str(INPUTS / "world.yaml"), "--out", str(tmp_path), "--excel"]
    )
    assert result.exit_code == 0, result.output
    roster = (tmp_path / "roster.csv").read_bytes()
    assert roster.startswith(b"\xef\xbb\xbfID,")
    table = pd.read_csv(tmp_path / "roster.csv", dtype=str, encoding="utf-8-sig")
    assert len(table) == 6 and table["country"].is_unique
    assert (table["sids"] == "yes").sum() >= 1


# ---------------------------------------------------------------------------------------------
# The Sortition Foundation's features/people pair
# ---------------------------------------------------------------------------------------------

SF_FEATURES = INPUTS / "sf-features.csv"
SF_PEOPLE = INPUTS / "sf-people.csv"


def test_sf_fixture_shape() -> None:
    quotas = read_features(SF_FEATURES)
    assert len(quotas) == 4 and sum(len(v) for v in quotas.values()) == 20
    assert len(read_pool(SF_PEOPLE, id_column="nationbuilder_id").table) == 150


def test_sf_scenario_selects_and_round_trips(tmp_path: Path) -> None:
    runner = CliRunner()
    first = api.select(INPUTS / "sf-panel.yaml", explain_board=False)
    assert first.report.status == "optimal"
    board = sorted(first.roster_ids)
    assert len(board) == 22
    for feature, values in read_features(SF_FEATURES).items():
        counts = first.roster[feature].value_counts()
        for value, bounds in values.items():
            assert bounds["min"] <= counts.get(value, 0) <= bounds["max"]

    exported = runner.invoke(
        app, ["export-sf", str(INPUTS / "sf-panel.yaml"), "--out", str(tmp_path / "sf")]
    )
    assert exported.exit_code == 0, exported.output
    scenario = tmp_path / "again.yaml"
    imported = runner.invoke(
        app,
        [
            "import-sf",
            str(tmp_path / "sf" / "features.csv"),
            str(tmp_path / "sf" / "people.csv"),
            "--size",
            "22",
            "--seed",
            "11",
            "--out",
            str(scenario),
        ],
    )
    assert imported.exit_code == 0, imported.output
    assert "id_column: nationbuilder_id" in scenario.read_text(encoding="utf-8")
    again = api.select(scenario, explain_board=False)
    assert sorted(again.roster_ids) == board


def test_sf_bad_features_all_problems(tmp_path: Path) -> None:
    path = tmp_path / "features.csv"
    path.write_text(
        "category,name,min,max\ngender,Female,two,3\ngender,Male,5,3\ngender,Female,1,2\n,x,1,1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_features(path)
    lines = [str(p) for p in caught.value.problems]
    assert len(lines) == 3
    assert "row 2, min: 'two' is not a whole number" in lines[0]
    assert "row 3: min 5, max 3" in lines[1]
    assert "row 5: no feature or value" in lines[2]


def test_import_sf_reports_mismatches_exit_2(tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    features.write_text("feature,value,min,max\ngendr,Female,1,2\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "import-sf",
            str(features),
            str(SF_PEOPLE),
            "--size",
            "5",
            "--out",
            str(tmp_path / "s.yaml"),
        ],
    )
    assert result.exit_code == 2
    assert "column 'gendr' is not in the pool" in result.output
    assert not (tmp_path / "s.yaml").exists()


def test_excel_scenario_option(tmp_path: Path) -> None:
    (tmp_path / "pool.csv").write_text("id,name\na,Zoë\nb,Ana\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "board_size: 1\npool: pool.csv\nexcel: true\n", encoding="utf-8"
    )
    result = api.select(tmp_path / "s.yaml", explain_board=False)
    assert result.files()["roster.csv"].startswith("\ufeffid,name\n")
    (tmp_path / "s.yaml").write_text("board_size: 1\npool: pool.csv\n", encoding="utf-8")
    plain = api.select(tmp_path / "s.yaml", explain_board=False)
    assert plain.files()["roster.csv"].startswith("id,name\n")


# A 4-seat panel that no pool of these six people can fill: at least 2 women (all old), at most
# 1 old person, at least 3 young people (all men). Without flex the smallest fix is one seat:
# women at least 1 (it resolves both conflicts). With the women's min_flex of 2 that quota may
# not move, and the only fix moves two other seats: old at most 2 and young at least 2.
SF_TIGHT_FEATURES = (
    "feature,value,min,max,min_flex,max_flex\n"
    "gender,Female,2,4,{female_flex},4\n"
    "gender,Male,0,4,0,4\n"
    "age,young,3,4,0,4\n"
    "age,old,0,1,0,4\n"
)
SF_TIGHT_PEOPLE = (
    "id,gender,age\n"
    "f1,Female,old\nf2,Female,old\nf3,Female,old\nm1,Male,young\nm2,Male,young\nm3,Male,young\n"
)


def _tight_fix(tmp_path: Path, female_flex: int) -> list[tuple[str, int, int, int, int]]:
    (tmp_path / "features.csv").write_text(
        SF_TIGHT_FEATURES.format(female_flex=female_flex), encoding="utf-8"
    )
    (tmp_path / "people.csv").write_text(SF_TIGHT_PEOPLE, encoding="utf-8")
    (tmp_path / "panel.yaml").write_text(
        "name: tight\nboard_size: 4\npool: people.csv\nquotas: features.csv\n", encoding="utf-8"
    )
    result = api.select(tmp_path / "panel.yaml", explain_board=False, workers=1)
    assert result.report.status == "infeasible"
    diagnosis = result.report.diagnosis
    assert diagnosis is not None and diagnosis.relaxation is not None
    return sorted(
        (m.rule, m.min_from, m.min_to, m.max_from, m.max_to) for m in diagnosis.relaxation.moves
    )


def test_sf_flex_bounds_the_smallest_fix(tmp_path: Path) -> None:
    # min_flex 0: the women's quota may drop to 0, and the one-seat fix moves it.
    assert _tight_fix(tmp_path, 0) == [("quota:gender=Female:min", 2, 1, 4, 4)]
    # min_flex 2: it may not drop at all; the fix moves two other quotas, within their flex.
    assert _tight_fix(tmp_path, 2) == [
        ("quota:age=old:max", 0, 0, 1, 2),
        ("quota:age=young:min", 3, 2, 4, 4),
    ]


def test_sf_flex_written_by_import_sf(tmp_path: Path) -> None:
    (tmp_path / "features.csv").write_text(
        SF_TIGHT_FEATURES.format(female_flex=2), encoding="utf-8"
    )
    (tmp_path / "people.csv").write_text(SF_TIGHT_PEOPLE, encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    result = CliRunner().invoke(
        app,
        [
            "import-sf",
            str(tmp_path / "features.csv"),
            str(tmp_path / "people.csv"),
            "--size",
            "4",
            "--out",
            str(scenario),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "min_flex/max_flex" in result.output and "relax_limits" in result.output
    spec = load_scenario(scenario).scenario
    # Female min 2 with min_flex 2: 0 seats; max 4 is the board size, so no max rule.
    assert spec.relax_limits == {
        "quota:gender=Female:min": 0,
        "quota:age=young:min": 3,
        "quota:age=old:max": 3,
    }
    report = api.select(scenario, explain_board=False, workers=1).report
    assert report.diagnosis is not None and report.diagnosis.relaxation is not None
    assert {m.rule for m in report.diagnosis.relaxation.moves} == {
        "quota:age=old:max",
        "quota:age=young:min",
    }


@pytest.mark.parametrize("female_flex", [0, 1, 2])
def test_sf_flex_survives_import_then_export(tmp_path: Path, female_flex: int) -> None:
    """export-sf writes relax_limits back as min_flex/max_flex: the pair comes back unchanged."""
    original = SF_TIGHT_FEATURES.format(female_flex=female_flex)
    (tmp_path / "features.csv").write_text(original, encoding="utf-8")
    (tmp_path / "people.csv").write_text(SF_TIGHT_PEOPLE, encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    runner = CliRunner()
    pair = [str(tmp_path / "features.csv"), str(tmp_path / "people.csv")]
    imported = runner.invoke(app, ["import-sf", *pair, "--size", "4", "--out", str(scenario)])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(app, ["export-sf", str(scenario), "--out", str(tmp_path / "sf")])
    assert exported.exit_code == 0, exported.output
    again = (tmp_path / "sf" / "features.csv").read_text(encoding="utf-8").splitlines()
    lines = original.splitlines()
    assert again[0] == lines[0]  # the flex columns are back
    assert sorted(again[1:]) == sorted(lines[1:])  # export lists the values sorted


def test_sf_export_without_relax_limits_has_no_flex_columns(tmp_path: Path) -> None:
    exported = CliRunner().invoke(
        app, ["export-sf", str(INPUTS.parent / "messy" / "messy.yaml"), "--out", str(tmp_path)]
    )
    assert exported.exit_code == 0, exported.output
    header = (tmp_path / "features.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == "feature,value,min,max"


def test_sf_flex_outside_the_bounds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "features.csv"
    path.write_text(
        "feature,value,min,max,min_flex,max_flex\ngender,Female,2,4,3,4\ngender,Male,1,3,0,2\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_features(path)
    lines = [str(p) for p in caught.value.problems]
    assert len(lines) == 2
    assert "row 2, min_flex" in lines[0] and "need 0 <= min_flex <= min" in lines[0]
    assert "row 3, max_flex" in lines[1] and "need max_flex >= max" in lines[1]


def test_import_sf_refuses_a_person_value_the_features_do_not_list(tmp_path: Path) -> None:
    """The Sortition Foundation refuses such a person; balancer must not quietly accept them."""
    features = tmp_path / "features.csv"
    features.write_text(
        "feature,value,min,max\ngender,Female,1,2\ngender,Male,1,2\n", encoding="utf-8"
    )
    people = tmp_path / "people.csv"
    people.write_text(
        "id,gender\np1,Female\np2,Male\np3,Non-binary\np4,Female\np5,Non-binary\n",
        encoding="utf-8",
    )
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(
        app, ["import-sf", str(features), str(people), "--size", "3", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "has the value 'Non-binary' (row 4, row 6)" in result.output
    assert "add a row 'gender,Non-binary,MIN,MAX' to features.csv" in result.output
    assert not out.exists()
    features.write_text(
        "feature,value,min,max\ngender,Female,1,2\ngender,Male,1,2\ngender,Non-binary,0,2\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["import-sf", str(features), str(people), "--size", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()
