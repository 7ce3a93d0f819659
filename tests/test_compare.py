"""Comparing boards: crafted pools where every count, state and member set is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from balancer.cli import app
from balancer.decide import compare
from balancer.spec.errors import InputError
from tests.test_html import _check_page

POOL = """id,name,gender,region,disability
a1,Ann,woman,north,no
a2,Bea,woman,south,yes
a3,Cid,man,north,no
a4,Dan,man,south,no
a5,Eve,woman,north,no
a6,=Fay,man,south,no
"""

# Three seats: two women required, region targeted equally; the lottery picks among ties.
SMALL = """name: Small
board_size: 3
pool: pool.csv
quotas:
  gender: {woman: {min: 2}}
  disability: {yes: {max: 1}}
targets:
  region: equal
include: [a1]
seed: 1
"""
# Four seats, at most one woman: the two boards must differ in gender.
LARGE = """name: Large
board_size: 4
pool: pool.csv
quotas:
  gender: {woman: {max: 1}}
targets:
  region: equal
include: [a1]
seed: 1
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pool.csv").write_text(POOL)
    (tmp_path / "small.yaml").write_text(SMALL)
    (tmp_path / "large.yaml").write_text(LARGE)
    (tmp_path / "hand.csv").write_text("id,name\na2,Bea\na3,Cid\na4,Dan\n")
    return tmp_path


def test_side_by_side(folder: Path) -> None:
    small, large = str(folder / "small.yaml"), str(folder / "large.yaml")
    hand = f"{folder / 'hand.csv'}@{small}"
    result = compare.compare_arguments([small, large, hand], workers=1)
    one, two, three = result.options
    assert (one.source, two.source, three.source) == ("solved", "solved", "roster")
    assert len(one.roster) == 3 and len(two.roster) == 4
    assert three.roster == ["a2", "a3", "a4"]
    # Large allows one woman: a1 (included); so a3, a4, a6 fill it (the only men).
    assert two.roster == ["a1", "a3", "a4", "a6"]
    woman = next(v for v in result.values if (v.column, v.value) == ("gender", "woman"))
    assert woman.board == [2, 1, 1]
    north = next(v for v in result.values if (v.column, v.value) == ("region", "north"))
    assert north.target_seats == [1.5, 2.0, 1.5]
    states = {r.id: r.states for r in result.rules}
    assert states["quota:gender=woman:min"] == ["binds", "-", "breaks"]  # hand has 1 woman
    assert states["quota:gender=woman:max"] == ["-", "binds", "-"]
    assert states["include:a1"] == ["binds", "binds", "breaks"]
    assert three.status == "breaks rules"
    assert set(result.common) == set(one.roster) & set(two.roster) & {"a2", "a3", "a4"}
    for roster, only in zip((one.roster, two.roster, three.roster), result.only, strict=True):
        others = [set(o.roster) for o in result.options if o.roster is not roster]
        assert set(only) == set(roster) - set().union(*others)
    # The sensitive column shows only totals, and its rule is not named.
    assert states["quota:disability=yes:max"] == ["meets", "-", "binds"]
    rules = compare.markdown(result).split("## Rules")[1].split("## Members")[0]
    assert "disability" not in rules and "A confidential criterion." in rules


def test_outputs_and_cli(folder: Path) -> None:
    runner = CliRunner()
    small, large = str(folder / "small.yaml"), str(folder / "large.yaml")
    out = folder / "out"
    result = runner.invoke(app, ["compare", small, large, "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "compare.json").read_text())
    assert [o["scenario"] for o in data["options"]] == ["Small", "Large"]
    page = (out / "compare.html").read_text()
    assert page.count("<svg") == 3  # one chart per column: disability, gender, region
    assert "<script" not in page
    assert "## Composition" in (out / "compare.md").read_text()


def test_bad_arguments_are_input_errors(folder: Path) -> None:
    small = str(folder / "small.yaml")
    (folder / "bad.csv").write_text("id\nzz\n")
    with pytest.raises(InputError) as caught:
        compare.compare_arguments([small, f"{folder / 'bad.csv'}@{small}", "@x", "missing.yaml"])
    text = str(caught.value)
    assert "zz" in text and "missing.yaml" in text and "ROSTER.csv@S.yaml" in text
    with pytest.raises(InputError):
        compare.compare_arguments([small])
    result = CliRunner().invoke(app, ["compare", small, "missing.yaml"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_roster_without_its_scenario_is_told_how_to_name_one(folder: Path) -> None:
    small = str(folder / "small.yaml")
    roster = folder / "Roster.CSV"
    roster.write_text("id\nzz\n")
    with pytest.raises(InputError) as caught:
        compare.compare_arguments([small, str(roster)])
    assert str(caught.value) == (
        f"{roster}: a roster needs the scenario that judges it; write it as {roster}@SCENARIO.yaml"
    )
    result = CliRunner().invoke(app, ["compare", small, str(roster)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_scenario_without_a_board_is_compared_as_such(folder: Path) -> None:
    none = SMALL.replace("{min: 2}", "{min: 3}").replace("[a1]", "[a1]\nexclude: [a5]")
    (folder / "none.yaml").write_text(none)  # three women needed, two can sit
    result = compare.compare_arguments(
        [str(folder / "small.yaml"), str(folder / "none.yaml")], workers=1
    )
    impossible = result.options[1]
    assert impossible.status == "infeasible" and impossible.roster == []
    assert impossible.objective is None
    assert result.common == [] and result.only[0] == result.options[0].roster
    assert "no board" in {r.states[1] for r in result.rules}
    assert "| total gap |" in compare.markdown(result)


def test_html_is_self_contained_and_escapes_hostile_data(folder: Path) -> None:
    hostile = "<script>alert(1)</script>"
    (folder / "pool.csv").write_text(POOL.replace("north", hostile))
    (folder / "small.yaml").write_text(SMALL.replace("name: Small", f"name: Board {hostile}"))
    out = folder / "out"
    small, large = str(folder / "small.yaml"), str(folder / "large.yaml")
    result = CliRunner().invoke(app, ["compare", small, large, "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    text = (out / "compare.html").read_text()
    page = _check_page(text)
    assert hostile in page.text_inside("li")  # the scenario's name
    assert any(hostile in t for stack, t in page.texts if "th" in stack)  # a value's row
    assert hostile in page.text_inside("svg")  # a bar label
    for rendered in (text, (out / "compare.md").read_text()):
        assert "<script" not in rendered
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
