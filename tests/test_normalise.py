"""Deriving columns from countries, aliases, missing-value policies and renamed columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balancer import api
from balancer.cli import app
from balancer.engine.problem import BalanceProblem, build_problem
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.spec.errors import InputError


def _pool(**columns: list[str]) -> pd.DataFrame:
    size = len(next(iter(columns.values())))
    return pd.DataFrame({"id": [f"c{i:02d}" for i in range(size)], **columns})


def _build(yaml: str, frame: pd.DataFrame, source: str = "scenario") -> BalanceProblem:
    scenario = parse_scenario_text("pool: unused.csv\n" + yaml)
    return build_problem(scenario, pool_from_frame(frame), source=source)


def _errors(yaml: str, frame: pd.DataFrame) -> str:
    with pytest.raises(InputError) as caught:
        _build(yaml, frame)
    return str(caught.value)


COUNTRIES = ["Kenya", "KEN", "Türkiye", "turkey", "USA", "gb", "Fiji", "Bahrain", "Brazil", "ci"]


def test_derive_from_any_spelling() -> None:
    problem = _build(
        """
board_size: 4
derive: {un_region: country, sids: country, ldc: country, global_south: country, iso3: country}
quotas:
  un_region: {African: {min: 1}, Western European and Others: {max: 2}}
  sids: {yes: {min: 1}}
""",
        _pool(country=COUNTRIES),
    )
    table = problem.pool.table
    assert table["un_region"].tolist()[:5] == [
        "African",
        "African",
        "Western European and Others",
        "Western European and Others",
        "Western European and Others",
    ]
    assert table["sids"].tolist() == ["no"] * 6 + ["yes", "yes", "no", "no"]
    assert table["iso3"].tolist()[-1] == "CIV"
    assert table["global_south"].tolist()[-3:] == ["yes", "yes", "yes"]
    assert any(
        w.startswith("derive.un_region: ") and "'turkey' x1 -> " in w for w in problem.warnings
    )


def test_unknown_country_nearest_match() -> None:
    text = _errors(
        "board_size: 2\nderive: {un_region: country, sids: country}\n"
        "quotas: {un_region: {African: {min: 1}}}\n",
        _pool(country=["Kenia", "Kenya", "Atlantis", "Kenia"]),
    )
    assert "row 2, row 5: unknown country 'Kenia'; did you mean 'Kenya'" in text
    assert "unknown country 'Atlantis'" in text
    assert text.count("unknown country 'Kenia'") == 1  # once, though derived twice
    assert "Saint Kitts" not in text


def test_contradiction_warns_then_errors_when_strict() -> None:
    frame = _pool(
        country=["Kenya", "Cyprus", "USA", "Fiji"],
        un_region=["African", "WEOG", "weog", "Asia-Pacific"],
        sids=["no", "no", "no", "no"],
    )
    base = "board_size: 2\nderive: {un_region: country, sids: country}\n"
    problem = _build(base, frame)
    warned = [w for w in problem.warnings if "their country gives" in w]
    assert len(warned) == 2  # Cyprus's region, Fiji's SIDS status; "weog" for the USA agrees
    assert any("say un_region 'WEOG'" in w and "row 3" in w for w in warned)
    assert problem.pool.table["un_region"].tolist()[1] == "Asia-Pacific"
    text = _errors(base + "strict: true\n", frame)
    assert "say sids 'no' but their country gives 'yes'" in text


def test_country_override_file(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text("iso3,un_region\nKIR,Asia-Pacific\n", encoding="utf-8")
    (tmp_path / "pool.csv").write_text("id,country\na,Kiribati\nb,Kenya\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "board_size: 1\npool: pool.csv\ncountries: mine.csv\nderive: {un_region: country}\n"
        "quotas: {un_region: {Asia-Pacific: {min: 1}}}\n",
        encoding="utf-8",
    )
    problem, _ = api.prepare(tmp_path / "s.yaml")
    assert problem.pool.table["un_region"].tolist() == ["Asia-Pacific", "African"]


def test_aliases_report_every_raw_value() -> None:
    problem = _build(
        """
board_size: 2
aliases: {gender: {F: woman, female: woman, M: man}}
quotas: {gender: {woman: {min: 1}, man: {min: 1}}}
""",
        _pool(gender=["F", "female ", "Woman", "m", "man", "FEMALE"]),
    )
    assert problem.pool.table["gender"].tolist() == ["woman"] * 3 + ["man"] * 2 + ["woman"]
    (line,) = [w for w in problem.warnings if w.startswith("aliases.gender")]
    for part in [
        "'F' x1 -> 'woman'",
        "'female' x1 -> 'woman'",
        "'Woman' x1 -> 'woman'",
        "'FEMALE' x1 -> 'woman'",
        "'m' x1 -> 'man'",
        "'man' x1 kept",
    ]:
        assert part in line


def test_strict_lists_unused_values() -> None:
    text = _errors(
        """
board_size: 2
strict: true
aliases: {gender: {F: woman, M: man}}
quotas: {gender: {woman: {min: 1}}}
targets: {gender: {woman: 0.5, man: 0.5}}
""",
        _pool(gender=["F", "M", "x", "nonbinary"]),
    )
    assert (
        "strict: pool values of 'gender' that no quota, group or target uses: 'nonbinary', 'x'"
        in text
    )


def test_missing_policies() -> None:
    frame = _pool(disability=["yes", "", "no", ""], gender=["w", "m", "", "w"])
    yaml = "board_size: 1\nquotas: {disability: {yes: {max: 1}}, gender: {w: {min: 1}}}\n"
    text = _errors(yaml, frame)
    assert "column 'disability': empty in 2 row(s) (row 3, row 5)" in text
    problem = _build(yaml + "missing: {disability: unknown, gender: exclude}\n", frame)
    table = problem.pool.table
    assert table["id"].tolist() == ["c00", "c01", "c03"]
    assert table["disability"].tolist() == ["yes", "unknown", "unknown"]
    assert any("left out of the pool" in w and "row 4" in w for w in problem.warnings)


def test_columns_mapping_and_all_problems_at_once() -> None:
    frame = _pool(**{"Gender": ["w", "m"], "UN region": ["African", "African"]})
    problem = _build(
        'board_size: 1\ncolumns: {Gender: gender, "UN region": un_region}\n'
        "quotas: {gender: {w: {min: 1}}, un_region: {African: {min: 1}}}\n",
        frame,
    )
    assert {"gender", "un_region"} <= set(problem.pool.table.columns)
    text = _errors(
        "board_size: 1\ncolumns: {Gendr: gender}\nderive: {region: country}\n"
        "missing: {colour: unknown}\n",
        frame,
    )
    assert "columns.Gendr: column 'Gendr' is not in the pool" in text
    assert "derive.region: cannot derive 'region'" in text
    assert "missing.colour" in text


def test_cli_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pool.csv").write_text("id,country\na,Narnia\nb,Kenya\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "board_size: 1\npool: pool.csv\nderive: {un_region: country}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2
    assert "unknown country 'Narnia'" in result.output
    assert "Traceback" not in result.output


def test_excluded_by_missing_policy_cannot_be_included() -> None:
    text = _errors(
        "board_size: 1\ninclude: [c01]\nmissing: {gender: exclude}\n"
        "quotas: {gender: {w: {min: 1}}}\n",
        _pool(gender=["w", ""]),
    )
    assert "include: 'c01' is left out by a missing: exclude policy" in text
