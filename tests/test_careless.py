"""Careless inputs (issue 11, items 8 and 10): never overwrite an input, title rows, and one
clear line (exit 2, no traceback) for the files a convener is likely to hand over by mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from balancer.cli import app

DATA = Path(__file__).parent / "data"
CARELESS = DATA / "careless"
SCENARIO = DATA / "scenario.yaml"
POOL = DATA / "pool.csv"


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="balancer")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def inputs_named(folder: Path, pool_name: str) -> Path:
    """The test scenario in ``folder``, its pool saved under ``pool_name``."""
    (folder / pool_name).write_bytes(POOL.read_bytes())
    scenario = folder / "scenario.yaml"
    scenario.write_text(SCENARIO.read_text().replace("pool: pool.csv", f"pool: {pool_name}"))
    return scenario


# ---------------------------------------------------------------------------------------------
# Item 10: never overwrite an input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "pool_name", "extra"),
    [
        ("select", "roster.csv", []),
        ("select", "report.md", []),
        ("sweep", "sweep.csv", ["--vary", "board_size=6,7"]),
        ("lottery", "boards.csv", ["--boards", "10"]),
        ("criteria", "criteria.json", []),
        ("export-sf", "people.csv", []),
    ],
)
def test_out_beside_a_scenario_input_is_refused(
    tmp_path: Path, command: str, pool_name: str, extra: list[str]
) -> None:
    scenario = inputs_named(tmp_path, pool_name)
    before = (tmp_path / pool_name).read_bytes()
    result = invoke(command, scenario, "--out", tmp_path, *extra)
    assert result.exit_code == 2, result.output
    assert f"would overwrite the input {tmp_path / pool_name}" in result.stderr
    assert (tmp_path / pool_name).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([pool_name, "scenario.yaml"])


def test_select_refuses_a_pool_in_out_public(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    scenario = inputs_named(tmp_path, "public/roster.csv")
    result = invoke("select", scenario, "--out", tmp_path)
    assert result.exit_code == 2
    assert "would overwrite the input" in result.stderr


def test_select_into_the_pool_folder_is_fine_when_no_name_clashes(tmp_path: Path) -> None:
    scenario = inputs_named(tmp_path, "nominations.csv")
    result = invoke("select", scenario, "--out", tmp_path, "--no-explain", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "roster.csv").exists()


@pytest.mark.parametrize("command", ["check", "replace"])
def test_roster_in_out_is_refused(tmp_path: Path, command: str) -> None:
    scenario = inputs_named(tmp_path, "pool.csv")
    roster = tmp_path / ("report.json" if command == "check" else "roster.csv")
    roster.write_text("id\np01\np02\np03\np04\np05\np07\n")
    before = roster.read_bytes()
    extra = ["--drop", "p01"] if command == "replace" else []
    result = invoke(command, roster, "--scenario", scenario, "--out", tmp_path, *extra)
    assert result.exit_code == 2, result.output
    assert f"would overwrite the input {roster}" in result.stderr
    assert roster.read_bytes() == before


def test_compare_refuses_a_roster_in_out(tmp_path: Path) -> None:
    scenario = inputs_named(tmp_path, "pool.csv")
    roster = tmp_path / "compare.md"
    roster.write_text("id\np01\n")
    result = invoke("compare", scenario, f"{roster}@{scenario}", "--out", tmp_path)
    assert result.exit_code == 2
    assert "would overwrite the input" in result.stderr


def test_import_sf_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    features.write_text("feature,value,min,max\ngender,woman,1,3\n")
    people = tmp_path / "people.csv"
    people.write_text("id,gender\na,woman\nb,man\n")
    result = invoke("import-sf", features, people, "--size", "2", "--out", people)
    assert result.exit_code == 2
    assert "would overwrite an input file" in result.stderr
    assert people.read_text() == "id,gender\na,woman\nb,man\n"


# ---------------------------------------------------------------------------------------------
# Item 8: a title row above the header; empty trailing columns of an export
# ---------------------------------------------------------------------------------------------


def scenario_over(folder: Path, pool: Path, header_row: int | None = None) -> Path:
    """The test scenario over a copy of ``pool`` in ``folder`` (with ``header_row`` if given)."""
    (folder / pool.name).write_bytes(pool.read_bytes())
    reference = (
        pool.name if header_row is None else f"{{path: {pool.name}, header_row: {header_row}}}"
    )
    scenario = folder / "scenario.yaml"
    scenario.write_text(SCENARIO.read_text().replace("pool: pool.csv", f"pool: {reference}"))
    return scenario


def roster_of(folder: Path) -> list[str]:
    return (folder / "roster.csv").read_text().splitlines()


@pytest.mark.parametrize("name", ["title.csv", "title-commas.csv", "title.xlsx"])
def test_a_title_row_is_one_line_naming_the_header_row(tmp_path: Path, name: str) -> None:
    scenario = scenario_over(tmp_path, CARELESS / name)
    result = invoke("validate", scenario)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "row 1: looks like a title" in errors[0]
    assert "the header seems to be row 2; set `pool: {header_row: 2}`" in errors[0]
    assert "no header" not in result.stderr


@pytest.mark.parametrize("name", ["title.csv", "title-commas.csv", "title.xlsx", "trailing.csv"])
def test_header_row_reads_the_same_board_as_the_tidy_pool(tmp_path: Path, name: str) -> None:
    tidy = tmp_path / "tidy"
    tidy.mkdir()
    expected = invoke("select", scenario_over(tidy, POOL), "--out", tidy / "out", "--quiet")
    assert expected.exit_code == 0, expected.output
    messy = tmp_path / "messy"
    messy.mkdir()
    header_row = None if name == "trailing.csv" else 2
    result = invoke(
        "select", scenario_over(messy, CARELESS / name, header_row), "--out", messy / "out", "-q"
    )
    assert result.exit_code == 0, result.output
    assert roster_of(messy / "out") == roster_of(tidy / "out")


def test_header_row_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    from balancer.io.files import read_pool

    pool = tmp_path / "pool.csv"
    pool.write_text("Nominations\nid,name\na,A\n,B\nc,C\n")
    read = read_pool(pool, header_row=2)
    assert [str(p) for p in read.problems] == [f"{pool}: row 4: empty id; give every row an id"]


def test_empty_trailing_columns_are_left_out_with_a_note(tmp_path: Path) -> None:
    from balancer.io.files import read_pool

    read = read_pool(CARELESS / "trailing.csv")
    assert list(read.table.columns) == [
        "id",
        "name",
        "gender",
        "region",
        "disability",
        "sids",
        "country",
    ]
    [note] = read.notes
    assert "3 empty column(s) without a header at the end (column 8 to 10)" in note


def test_xlsx_columns_are_named_by_letter(tmp_path: Path) -> None:
    import openpyxl

    from balancer.io.files import read_pool
    from balancer.spec.errors import InputError

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", None, "gender"])
    sheet.append(["a", "A", "x", "woman"])
    path = tmp_path / "pool.xlsx"
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_pool(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: column C: has no header; name it"]


def test_a_header_with_one_blank_name_is_not_taken_for_a_title(tmp_path: Path) -> None:
    from balancer.io.files import read_pool
    from balancer.spec.errors import InputError

    path = tmp_path / "pool.csv"
    path.write_text("id,,name\na,1,2\n")
    with pytest.raises(InputError) as caught:
        read_pool(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: column 2: has no header; name it"]


# ---------------------------------------------------------------------------------------------
# Item 10: files handed over by mistake, and sizes nobody means; one line each, exit 2
# ---------------------------------------------------------------------------------------------


def errors_of(result: Result) -> list[str]:
    assert result.exit_code == 2, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (
            "old.xls",
            "is an old Excel .xls workbook (binary), which balancer does not read; "
            "open it in Excel or LibreOffice and save it as .xlsx or as CSV UTF-8",
        ),
        (
            "mixed.csv",
            "line 1: the header is separated by ',' but the rows by ';'; "
            "use one separator: ';' in the header too",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why_in_one_line(
    tmp_path: Path, name: str, said: str
) -> None:
    result = invoke("validate", scenario_over(tmp_path, CARELESS / name))
    [line] = errors_of(result)
    assert f"{tmp_path / name}: {said}" in line
    assert len(line) < 400  # not thousands of decoded binary characters


def test_a_zipped_workbook_named_csv_is_named_as_such(tmp_path: Path) -> None:
    from balancer.io.files import read_pool
    from balancer.spec.errors import InputError

    path = tmp_path / "pool.csv"
    path.write_bytes((CARELESS / "title.xlsx").read_bytes())
    with pytest.raises(InputError) as caught:
        read_pool(path)
    [problem] = caught.value.problems
    assert "is a zipped file (an .xlsx workbook?), not CSV text" in str(problem)


@pytest.mark.parametrize("name", ["utf16-nobom.csv", "sep.csv", "nul.csv"])
def test_readable_oddities_give_the_same_board(tmp_path: Path, name: str) -> None:
    tidy = tmp_path / "tidy"
    tidy.mkdir()
    assert invoke("select", scenario_over(tidy, POOL), "--out", tidy / "out", "-q").exit_code == 0
    odd = tmp_path / "odd"
    odd.mkdir()
    result = invoke("select", scenario_over(odd, CARELESS / name), "--out", odd / "out", "-q")
    assert result.exit_code == 0, result.output
    if name == "nul.csv":  # the names differ by the NULs only: compare the ids
        assert [r.split(",")[0] for r in roster_of(odd / "out")] == [
            r.split(",")[0] for r in roster_of(tidy / "out")
        ]
    else:
        assert roster_of(odd / "out") == roster_of(tidy / "out")


def test_utf16_without_bom_is_read_with_a_warning(tmp_path: Path) -> None:
    from balancer.io.files import read_pool

    read = read_pool(CARELESS / "utf16-nobom.csv")
    assert list(read.table.columns)[:2] == ["id", "name"]
    [note] = read.notes
    assert "read as UTF-16 (little-endian, no byte-order mark)" in note


def test_excel_sep_line_is_honoured_and_row_numbers_stay_excel_s(tmp_path: Path) -> None:
    from balancer.io.files import read_pool

    path = tmp_path / "pool.csv"
    path.write_text("sep=;\nid;name\na;A, the first\n;B\n")
    read = read_pool(path)
    assert read.table["name"].tolist() == ["A, the first", "B"]
    assert [str(p) for p in read.problems] == [f"{path}: row 3: empty id; give every row an id"]


def test_nul_bytes_are_removed_with_a_warning() -> None:
    from balancer.io.files import read_pool

    read = read_pool(CARELESS / "nul.csv")
    assert not read.table.map(lambda cell: "\x00" in cell).to_numpy().any()
    assert read.table["name"].tolist()[:2] == ["Amani K.", "Kofi B."]
    [note] = read.notes
    assert "3 NUL character(s) removed (first on line 2)" in note


def test_verify_names_a_corrupt_lottery_json_in_one_line(tmp_path: Path) -> None:
    scenario = scenario_over(tmp_path, POOL)
    out = tmp_path / "lottery"
    assert invoke("lottery", scenario, "--boards", "10", "--out", out, "-q").exit_code == 0
    record = out / "public" / "lottery.json"
    record.write_text(record.read_text()[:200])
    result = invoke("verify", out / "public", "--draw", "1")
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert f"{record} is not a lottery record balancer wrote (Invalid JSON" in line


def test_absurd_board_counts_are_refused_before_any_work(tmp_path: Path) -> None:
    scenario = scenario_over(tmp_path, POOL)
    result = invoke("lottery", scenario, "--boards", "1000000000", "--out", tmp_path / "o")
    assert errors_of(result) == [
        "error: --boards: 1000000000: must be between 1 and 100,000 (the published list holds "
        "every board; 1,000 is usual)"
    ]
    result = invoke("select", scenario, "--alternatives", "1000000", "--out", tmp_path / "o")
    [line] = errors_of(result)
    assert "--alternatives: 1000000: must be between 0 and 1,000" in line
    assert not (tmp_path / "o").exists()


def test_a_pool_that_is_a_device_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO.read_text().replace("pool: pool.csv", "pool: /dev/zero"))
    [line] = errors_of(invoke("validate", scenario))
    assert "/dev/zero: is not a regular file (a device, pipe or socket), so not a pool file" in line


def test_a_pool_that_is_a_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pool.csv")  # nobody writes to it: reading would wait for ever
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO.read_text())
    commands: list[list[str | Path]] = [
        ["validate", scenario],
        ["select", scenario, "--out", tmp_path / "o"],
    ]
    for args in commands:
        [line] = errors_of(invoke(*args))
        assert "pool.csv: is not a regular file (a device, pipe or socket)" in line


# ---------------------------------------------------------------------------------------------
# Item 10: case variants of a value the scenario names
# ---------------------------------------------------------------------------------------------


def test_case_variants_of_a_named_value_count_as_it_with_a_warning(tmp_path: Path) -> None:
    tidy = tmp_path / "tidy"
    tidy.mkdir()
    assert invoke("select", scenario_over(tidy, POOL), "--out", tidy / "out", "-q").exit_code == 0
    odd = tmp_path / "odd"
    odd.mkdir()
    result = invoke("select", scenario_over(odd, CARELESS / "case.csv"), "--out", odd / "out", "-q")
    assert result.exit_code == 0, result.output
    assert [r.split(",")[0] for r in roster_of(odd / "out")] == [
        r.split(",")[0] for r in roster_of(tidy / "out")
    ]
    report = (odd / "out" / "report.json").read_text()
    assert "sids: counted as the value the scenario names" in report
    checked = invoke("validate", odd / "scenario.yaml")
    said = "sids: counted as the value the scenario names (same word, other case): 'YES' x1"
    assert f"warning: {said} -> 'yes'" in checked.stderr


def test_fold_case_counts_each_spelling_and_leaves_two_named_cases_apart() -> None:
    import pandas as pd

    from balancer.io.normalise import fold_case
    from balancer.spec.scenario import Scenario

    table = pd.DataFrame(
        {"id": list("abcdef"), "d": ["yes", "Yes", "YES", "YES", "no", "No"], "g": ["x"] * 6}
    )
    scenario = Scenario.model_validate(
        {
            "name": "t",
            "board_size": 2,
            "pool": "p.csv",
            "quotas": {"d": {"yes": {"min": 1}}},
            "groups": [{"name": "g", "where": {"g": ["x", "X"]}, "min": 0}],
        }
    )
    folded, [warning] = fold_case(scenario, table)
    assert folded["d"].tolist() == ["yes", "yes", "yes", "yes", "no", "No"]  # 'no' is not named
    assert warning == (
        "d: counted as the value the scenario names (same word, other case): "
        "'YES' x2 -> 'yes'; 'Yes' x1 -> 'yes'; use aliases: to keep them apart"
    )
    assert folded["g"].tolist() == ["x"] * 6
    assert table["d"].tolist()[1] == "Yes"  # the pool as read is not changed


def test_a_roster_with_a_title_row_is_one_line_too(tmp_path: Path) -> None:
    scenario = scenario_over(tmp_path, POOL)
    roster = tmp_path / "board.csv"
    roster.write_text("Board 2025\nid,name\np01,A\np02,B\n")
    result = invoke("check", roster, "--scenario", scenario, "--out", tmp_path / "out")
    [line] = errors_of(result)
    assert "the header seems to be row 2" in line and "delete the rows above the header" in line
