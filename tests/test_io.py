"""Reading scenarios and pools, and writing outputs: :mod:`balancer.io.files`.

A convener's files come from text editors and spreadsheets, so the reader must keep every cell
as the text that was typed (``yes``, ``NA``, ``007``), refuse what it cannot read with one
line per problem that says where and how to fix it, and never leave a half-written output.
"""

from __future__ import annotations

import errno
import os
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pandas as pd
import pytest

from balancer.engine.problem import build_problem
from balancer.io.files import (
    neutralise_cell,
    parse_scenario_text,
    pool_from_frame,
    read_pool,
    safe_csv,
    write_files,
)
from balancer.spec.errors import InputError, Problem

BASE = "board_size: 3\npool: pool.csv\n"


def problems_of(text: str) -> list[Problem]:
    """The problems a scenario text is refused with (fails if it is accepted)."""
    with pytest.raises(InputError) as caught:
        parse_scenario_text(text, source="s.yaml")
    assert caught.value.problems, "an InputError must carry at least one problem"
    return caught.value.problems


def lines_of(text: str) -> list[str]:
    return [str(p) for p in problems_of(text)]


def pool_problems(path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_pool(path, **kwargs)
    return [str(p) for p in caught.value.problems]


def id_problems_of(path: Path, **kwargs: Any) -> list[str]:
    """Id problems are recorded, not raised, so that build_problem reports them with the rest."""
    return [str(p) for p in read_pool(path, **kwargs).problems]


def write_csv(tmp_path: Path, text: str, name: str = "pool.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------
# YAML: no boolean surprises
# ---------------------------------------------------------------------------------------------


def test_yes_no_true_keys_stay_strings() -> None:
    scenario = parse_scenario_text(
        BASE
        + "quotas:\n"
        + "  disability:\n"
        + "    yes: {min: 1}\n"
        + "    no: {max: 2}\n"
        + "  sids:\n"
        + "    true: {min: 1}\n"
        + "    false: {max: 2}\n"
        + "  remote:\n"
        + "    on: {min: 1}\n"
        + "    off: {max: 2}\n"
    )
    assert list(scenario.quotas["disability"]) == ["yes", "no"]
    assert list(scenario.quotas["sids"]) == ["true", "false"]
    assert list(scenario.quotas["remote"]) == ["on", "off"]


def test_yes_no_true_values_stay_strings() -> None:
    scenario = parse_scenario_text(
        BASE
        + "groups:\n"
        + "  - name: islanders with a disability\n"
        + "    where: {disability: yes, sids: [true, no, Off]}\n"
        + "    min: 1\n"
    )
    assert scenario.groups[0].where == {"disability": "yes", "sids": ["true", "no", "Off"]}


def test_number_keys_become_text() -> None:
    scenario = parse_scenario_text(BASE + "quotas:\n  grade:\n    1: {min: 1}\n    2.5: {max: 1}\n")
    assert list(scenario.quotas["grade"]) == ["1", "2.5"]


def test_zero_padded_ids_stay_as_typed() -> None:
    scenario = parse_scenario_text(BASE + "include: [007, 0012]\nexclude: [0099]\n")
    assert scenario.include == ["007", "0012"]
    assert scenario.exclude == ["0099"]


@pytest.mark.parametrize(
    ("scenario_word", "pool_words", "expected"),
    [
        ("yes", ("yes", "no"), "yes"),
        ("no", ("yes", "no"), "no"),
        ("yes", ("true", "false"), "true"),  # the pool's own spelling wins
        ("true", ("yes", "no"), "yes"),
        ("false", ("yes", "no"), "no"),
        ("no", ("true", "false"), "false"),
    ],
)
def test_yes_no_words_match_the_pools_spelling(
    scenario_word: str, pool_words: tuple[str, str], expected: str
) -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "flag": [pool_words[0], pool_words[1], pool_words[1]]}
    )
    scenario = parse_scenario_text(f"{BASE}quotas:\n  flag:\n    {scenario_word}: {{max: 2}}\n")
    problem = build_problem(scenario, pool_from_frame(frame), source="s.yaml")
    quota = [r for r in problem.rules if r.column == "flag"]
    assert [r.value for r in quota] == [expected]
    assert problem.warnings == []


# ---------------------------------------------------------------------------------------------
# YAML: duplicate keys and malformed text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        (BASE + "board_size: 4\n", "board_size", 3),
        (
            BASE + "quotas:\n  gender:\n    woman: {min: 1}\n    woman: {max: 2}\n",
            "woman",
            6,
        ),
        (BASE + "quotas:\n  disability:\n    yes: {min: 1}\n    'yes': {max: 2}\n", "yes", 6),
    ],
    ids=["top-level", "nested", "yes-and-quoted-yes"],
)
def test_duplicate_keys_are_refused(text: str, key: str, line: int) -> None:
    [problem] = problems_of(text)
    assert f"duplicate key '{key}'" in problem.message
    assert problem.where.startswith(f"line {line},")
    assert problem.file == "s.yaml"


def test_number_and_text_spelling_of_one_key_are_duplicates() -> None:
    [problem] = problems_of(BASE + "quotas:\n  grade:\n    1: {min: 1}\n    '1': {max: 2}\n")
    assert "duplicate key '1'" in problem.message


def test_number_keys_keep_their_spelling() -> None:
    scenario = parse_scenario_text(
        BASE + "quotas:\n  grade:\n    2.50: {min: 1}\n    007: {max: 1}\n    0x1F: {max: 1}\n"
    )
    assert list(scenario.quotas["grade"]) == ["2.50", "007", "0x1F"]


def test_other_yaml_integer_forms_stay_text() -> None:
    scenario = parse_scenario_text(
        BASE + "include: [0x1F, 1_000, '12', 12, 1:30]\nquotas: {since: {2026-01-02: {min: 1}}}\n"
    )
    assert scenario.include == ["0x1F", "1_000", "12", "12", "1:30"]
    assert list(scenario.quotas["since"]) == ["2026-01-02"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (BASE + "quotas:\n  gender: {woman: {min: 1}\n", "line 5, column 1"),
        (BASE + "quotas:\n  gender:\n    woman: {min: 1}\n   man: {max: 2}\n", "line 6, column"),
        ("board_size: 3\npool: 'pool.csv\n", "line 3, column 1"),
        ("board_size: 3\n\tpool: pool.csv\n", "line 2, column 1"),
    ],
    ids=["unclosed-brace", "bad-indent", "unclosed-quote", "tab"],
)
def test_malformed_yaml_names_line_and_column(text: str, where: str) -> None:
    [problem] = problems_of(text)
    assert problem.file == "s.yaml"
    assert problem.where.startswith(where), problem.where
    assert problem.message.startswith("malformed YAML")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just words\n"])
def test_a_scenario_must_be_a_mapping(text: str) -> None:
    [problem] = problems_of(text)
    assert "mapping" in problem.message


# ---------------------------------------------------------------------------------------------
# Unknown keys: "did you mean"
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "suggestion"),
    [
        ("board_sise: 3\npool: pool.csv\n", "board_sise", "board_size"),
        (BASE + "qoutas: {}\n", "qoutas", "quotas"),
        (BASE + "objective: {wieghts: {a: 1}}\n", "objective.wieghts", "weights"),
        (BASE + "objective: {tie_brake: lottery}\n", "objective.tie_brake", "tie_break"),
        (
            BASE + "quotas:\n  gender:\n    woman: {mn: 1}\n",
            "quotas.gender.woman.mn",
            "min",
        ),
        (
            BASE + "quotas:\n  gender:\n    woman: {min_shar: 0.4}\n",
            "quotas.gender.woman.min_shar",
            "min_share",
        ),
        (
            BASE + "groups:\n  - {name: g, where: {gender: woman}, mn: 1}\n",
            "groups",
            "min",
        ),
        (
            "board_size: 3\npool: {path: pool.csv, sheeet: Pool}\n",
            "pool",
            "sheet",
        ),
    ],
    ids=[
        "top-level",
        "top-level-quotas",
        "objective",
        "objective-tie-break",
        "quota-bounds-min",
        "quota-bounds-min-share",
        "group",
        "pool-mapping",
    ],
)
def test_unknown_keys_get_did_you_mean(text: str, where: str, suggestion: str) -> None:
    problems = [p for p in problems_of(text) if "required key" not in p.message]
    assert len(problems) == 1, [str(p) for p in problems]
    [problem] = problems
    assert problem.where.startswith(where), problem.where
    assert "unknown key" in problem.message
    assert f"did you mean '{suggestion}'?" in problem.fix


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    [problem] = problems_of(BASE + "zzz: 1\n")
    assert problem.where == "zzz"
    assert "board_size" in problem.fix


def test_misspelt_target_rule_is_one_clear_line() -> None:
    lines = lines_of(BASE + "targets: {region: equl}\n")
    assert len(lines) == 1, lines
    assert "targets.region" in lines[0]
    assert "'equal'" in lines[0]
    assert "function-before" not in lines[0] and "literal[" not in lines[0]


# ---------------------------------------------------------------------------------------------
# Shares and bounds
# ---------------------------------------------------------------------------------------------


def test_shares_are_exact_fractions() -> None:
    scenario = parse_scenario_text(
        BASE
        + "quotas:\n"
        + "  gender:\n"
        + "    woman: {min_share: '1/3'}\n"
        + "    man: {max_share: 0.4}\n"
        + "targets:\n"
        + "  region: {a: 0.1, b: 0.2, c: 0.7}\n"  # floats would sum to 1.0000000000000002
        + "  gender: {woman: '1/3', man: '1/3', other: '1/3'}\n"
    )
    woman, man = scenario.quotas["gender"]["woman"], scenario.quotas["gender"]["man"]
    assert woman.min_share == Fraction(1, 3)
    assert man.max_share == Fraction(2, 5)
    assert isinstance(man.max_share, Fraction)
    assert scenario.targets["region"] == {
        "a": Fraction(1, 10),
        "b": Fraction(1, 5),
        "c": Fraction(7, 10),
    }


@pytest.mark.parametrize(
    ("bounds", "words"),
    [
        ("{min: 3, max: 1}", ["min (3)", "max (1)"]),
        ("{min_share: 0.6, max_share: 0.5}", ["min_share (3/5)", "max_share (1/2)"]),
        ("{min_share: 1.5}", ["between 0 and 1"]),
        ("{min_share: lots}", ["number"]),
        ("{min: 1, min_share: 0.5}", ["either min or min_share"]),
        ("{}", ["at least one of"]),
        ("{min: -1}", ["greater than or equal to 0"]),
    ],
)
def test_bad_bounds_are_refused(bounds: str, words: list[str]) -> None:
    [problem] = problems_of(BASE + f"quotas:\n  gender:\n    woman: {bounds}\n")
    assert problem.where.startswith("quotas.gender.woman"), problem.where
    for word in words:
        assert word in problem.message


def test_target_shares_must_sum_to_one() -> None:
    [line] = lines_of(BASE + "targets:\n  gender: {woman: 0.5, man: 0.6}\n")
    assert line.startswith("s.yaml: ")
    assert "'gender'" in line
    assert "sum to 1.1, not 1" in line


def test_target_sum_problem_names_the_field() -> None:
    [problem] = problems_of(BASE + "targets:\n  gender: {woman: 0.5, man: 0.6}\n")
    assert problem.where == "targets.gender"


def test_field_and_target_sum_problems_are_reported_together() -> None:
    lines = lines_of(
        BASE
        + "quotas:\n  gender:\n    woman: {min: 3, max: 1}\n"
        + "targets:\n  gender: {woman: 0.5, man: 0.6}\n"
    )
    assert any("min (3)" in line for line in lines), lines
    assert any("sum to 1.1" in line for line in lines), lines


def test_several_field_problems_are_reported_together() -> None:
    lines = lines_of(
        "board_size: 0\npool: pool.csv\nseed: x\n"
        + "quotas:\n  gender:\n    woman: {min: 3, max: 1}\n    man: {mn: 1}\n"
    )
    assert len(lines) == 4, lines
    assert any(line.startswith("s.yaml: board_size:") for line in lines)
    assert any(line.startswith("s.yaml: seed:") for line in lines)
    assert any(line.startswith("s.yaml: quotas.gender.woman:") for line in lines)
    assert any(line.startswith("s.yaml: quotas.gender.man.mn:") for line in lines)


# ---------------------------------------------------------------------------------------------
# CSV pools
# ---------------------------------------------------------------------------------------------


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\na,Ana\nb,Jos\xc3\xa9\n")
    pool = read_pool(path)
    assert list(pool.table.columns) == ["id", "name"]
    assert pool.table["name"].tolist() == ["Ana", "José"]


def test_windows_1252_is_read_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_bytes("id,name\na,Ana\nb,Bea\nc,José\n".encode("cp1252"))
    pool = read_pool(path)
    assert pool.table["name"].tolist()[-1] == "José"
    [note] = pool.notes
    assert "not UTF-8 (first at line 4); read as Windows-1252" in note


def test_neither_utf8_nor_windows_1252_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_bytes(b"id,name\na,Ana\nb,Bea\nc,Jos\xe9\x81\n")
    [line] = pool_problems(path)
    assert line.startswith(f"{path}: line 4: ")
    assert "UTF-8" in line


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty"), (b"\n\n", "empty"), (b"id,name\n", "no candidates")],
    ids=["empty", "blank-lines", "header-only"],
)
def test_empty_pools_are_refused(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "pool.csv"
    path.write_bytes(content)
    [line] = pool_problems(path)
    assert line.startswith(f"{path}: ")
    assert words in line


def test_duplicate_and_empty_ids_name_their_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "id,name\na,1\n,2\na,3\n  ,4\nb,5\nb,6\na,7\n")
    lines = id_problems_of(path)
    assert sorted(lines) == sorted(
        [
            f"{path}: row 3: empty id; give every row an id",
            f"{path}: row 5: empty id; give every row an id",
            f"{path}: row 4: duplicate id 'a' (first at row 2); make ids unique",
            f"{path}: row 8: duplicate id 'a' (first at row 2); make ids unique",
            f"{path}: row 7: duplicate id 'b' (first at row 6); make ids unique",
        ]
    )


def test_id_problems_are_reported_by_build_problem(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "id,g\na,x\na,y\nb,x\nc,y\n")
    scenario = parse_scenario_text(BASE + "quotas: {g: {z: {min: 1}}}\n")
    with pytest.raises(InputError) as caught:
        build_problem(scenario, read_pool(path), source="s.yaml")
    lines = [str(p) for p in caught.value.problems]
    assert f"{path}: row 3: duplicate id 'a' (first at row 2); make ids unique" in lines
    assert len(lines) == 1, lines  # the absent value 'z' is only a warning


def test_many_id_problems_end_with_how_many_more(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "id,name\n" + "a,1\n" * 26)
    lines = id_problems_of(path)
    assert len(lines) == 21
    assert lines[:2] == [
        f"{path}: row 3: duplicate id 'a' (first at row 2); make ids unique",
        f"{path}: row 4: duplicate id 'a' (first at row 2); make ids unique",
    ]
    assert lines[-1].startswith(f"{path}: and 5 more empty or duplicate ids")


def test_ids_are_checked_in_the_chosen_id_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "ref,name\nr1,a\nr1,b\n")
    [line] = id_problems_of(path, id_column="ref")
    assert "row 3" in line and "'r1'" in line
    [missing] = pool_problems(path)
    assert "column 'id'" in missing and "'ref'" in missing


@pytest.mark.parametrize(
    ("header", "where"),
    [
        ("id,,name", "column 2: has no header"),
        ("id, ,name", "column 2: has no header"),
        ("id,name,name", "column 'name': appears twice"),
        ("id,name, name ", "column 'name': appears twice"),
    ],
)
def test_blank_and_duplicate_headers_are_refused(tmp_path: Path, header: str, where: str) -> None:
    path = write_csv(tmp_path, f"{header}\na,1,2\n")
    lines = pool_problems(path)
    assert f"{path}: {where}" in lines[0]


def test_cells_stay_text_and_are_trimmed(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        " id , country ,code,score,empty\n"
        " a ,NA,007,1.50,\n"
        "b,  N/A  ,1e3,nan,\n"
        "c,None,TRUE,-0,\n"
        "d,null,2026-01-02,,\n",
    )
    table = read_pool(path).table
    assert list(table.columns) == ["id", "country", "code", "score", "empty"]
    assert table.to_dict("list") == {
        "id": ["a", "b", "c", "d"],
        "country": ["NA", "N/A", "None", "null"],  # NA is Namibia, not a missing value
        "code": ["007", "1e3", "TRUE", "2026-01-02"],
        "score": ["1.50", "nan", "-0", ""],
        "empty": ["", "", "", ""],
    }


def test_malformed_csv_names_the_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "id,name\na,1\nb,2\nc,3,oops\n")
    [line] = pool_problems(path)
    assert line.startswith(f"{path}: ")
    assert "malformed CSV" in line
    assert "line 4" in line


def test_unclosed_quote_names_the_row_where_it_starts(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name\na,"unclosed\nb,2\n')
    [line] = pool_problems(path)
    assert "malformed CSV" in line
    assert "row 2" in line or "line 2" in line


def test_unclosed_quote_after_a_multiline_cell_names_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name\na,"two\nlines"\nb,"open\nc,3\n')
    [line] = pool_problems(path)
    assert line.startswith(f"{path}: line 4: malformed CSV"), line


def test_extra_cell_after_a_multiline_cell_names_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, 'id,name\na,"two\nlines"\nb,2,oops\n')
    [line] = pool_problems(path)
    assert line.startswith(f"{path}: line 4: malformed CSV: 3 cells where the header has 2")


def test_missing_pool_file(tmp_path: Path) -> None:
    [line] = pool_problems(tmp_path / "nope.csv")
    assert line == f"{tmp_path / 'nope.csv'}: pool file not found; check the path"


def test_pool_from_frame_makes_text_cells() -> None:
    frame = pd.DataFrame({"id": ["a", " b "], "n": [" x ", None]})
    pool = pool_from_frame(frame)
    assert pool.table.to_dict("list") == {"id": ["a", "b"], "n": ["x", ""]}


# ---------------------------------------------------------------------------------------------
# XLSX pools
# ---------------------------------------------------------------------------------------------


def write_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Pool"
    sheet.append(["id", " name ", "country", "score"])
    sheet.append(["a", "  Ana ", "KE", 3])
    sheet.append(["b", "Bea", None, 2.5])
    sheet.append([7, "Cy", "JP", 1])
    other = book.create_sheet("Reserve")
    other.append(["id", "name"])
    other.append(["r1", "Rae"])
    book.save(path)
    return path


def test_xlsx_pool_is_read_as_text(tmp_path: Path) -> None:
    pool = read_pool(write_xlsx(tmp_path / "pool.xlsx"))
    assert pool.table.to_dict("list") == {
        "id": ["a", "b", "7"],
        "name": ["Ana", "Bea", "Cy"],
        "country": ["KE", "", "JP"],
        "score": ["3", "2.5", "1"],
    }


def test_xlsx_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "pool.xlsx")
    assert read_pool(path, sheet="Reserve").table["id"].tolist() == ["r1"]
    [line] = pool_problems(path, sheet="Missing")
    assert line.startswith(f"{path}: sheet 'Missing': ")


def test_xlsx_written_by_pandas_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "pool.xlsx"
    frame = pd.DataFrame({"id": ["x1", "x2"], "gender": ["woman", "man"]})
    frame.to_excel(path, index=False, engine="openpyxl")
    assert read_pool(path).table.to_dict("list") == frame.to_dict("list")


def test_xlsx_na_cell_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "pool.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "country"])
    sheet.append(["a", "NA"])
    sheet.append(["b", "N/A"])
    book.save(path)
    assert read_pool(path).table["country"].tolist() == ["NA", "N/A"]


def test_damaged_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pool.xlsx"
    path.write_bytes(b"this is not a zip file")
    [line] = pool_problems(path)
    assert line.startswith(f"{path}: cannot read as XLSX")


# ---------------------------------------------------------------------------------------------
# Writing outputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", '=HYPERLINK("x")'])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Ana", "", "1", "a=b", "'quoted", "NA"])
def test_plain_cells_are_untouched(cell: str) -> None:
    assert neutralise_cell(cell) == cell


def test_safe_csv_neutralises_cells_and_headers() -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b"], "=cmd": ["=1+1", "plain"], "note": ["@x", "-2"], "n": ["+3", "x-y"]}
    )
    text = safe_csv(frame)
    assert text.splitlines() == ["id,'=cmd,note,n", "a,'=1+1,'@x,'+3", "b,plain,'-2,x-y"]


def test_write_files_writes_everything_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    written = write_files(out, {"a.txt": "ä\n", "b.bin": b"\x00\x01"})
    assert written == [out / "a.txt", out / "b.bin"]
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.bin"]
    assert (out / "a.txt").read_bytes() == "ä\n".encode()
    assert (out / "b.bin").read_bytes() == b"\x00\x01"


def test_write_files_replaces_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "report.json").write_text("old")
    replaced: list[tuple[str, str, str]] = []
    real_replace = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        # At the moment of the rename the target still holds the old, complete file.
        replaced.append((Path(src).name, Path(dst).name, Path(dst).read_text()))
        assert Path(src).parent == Path(dst).parent
        real_replace(src, dst)

    monkeypatch.setattr("balancer.io.files.os.replace", spy)
    write_files(tmp_path, {"report.json": "new"})
    [(source, target, before)] = replaced
    assert source != "report.json" and source.startswith(".")
    assert (target, before) == ("report.json", "old")
    assert (tmp_path / "report.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


class _FullDisk:
    """A file whose writes fail as on a full disk."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def _fail_second_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen
    calls: list[int] = []

    def fdopen(fd: int, mode: str) -> IO[bytes] | _FullDisk:
        calls.append(fd)
        stream: IO[bytes] = real_fdopen(fd, mode)
        return stream if len(calls) == 1 else _FullDisk(stream)

    monkeypatch.setattr("balancer.io.files.os.fdopen", fdopen)


def test_write_files_failure_replaces_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("old a")
    _fail_second_write(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        write_files(tmp_path, {"a.txt": "new a", "b.txt": "new b"})
    assert (tmp_path / "a.txt").read_text() == "old a"
    assert not (tmp_path / "b.txt").exists()


def test_write_files_failure_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("old a")
    _fail_second_write(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        write_files(tmp_path, {"a.txt": "new a", "b.txt": "new b"})
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
