"""The normalisation record on the messy fixture: every raw value that reading the pool changed,
complete, in ``normalisation.csv`` and the internal report's "How the pool was read", and in
no public file.

The expected rows are counted here from the raw workbook with openpyxl and the aliases of the
scenario file, not from balancer's reading of the pool.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from balancer.cli import app

MESSY = Path(__file__).parent / "data" / "messy"
SECTION = "How the pool was read"


def _raw_columns() -> dict[str, list[str]]:
    """The workbook's columns by the scenario's names, cells as text and trimmed."""
    scenario = yaml.safe_load((MESSY / "messy.yaml").read_text("utf-8"))
    sheet = openpyxl.load_workbook(MESSY / "nominations.xlsx", read_only=True)["Nominations"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    named = {scenario["columns"].get(h, h): i for i, h in enumerate(header)}
    return {
        name: ["" if r[i] is None else str(r[i]).strip() for r in rows] for name, i in named.items()
    }


def _expected() -> set[tuple[str, str, str, int, str, str]]:
    scenario = yaml.safe_load((MESSY / "messy.yaml").read_text("utf-8"))
    cells = _raw_columns()
    want: set[tuple[str, str, str, int, str, str]] = set()
    multi: dict[str, str] = scenario["multi"]
    for column, separator in multi.items():
        for raw, count in Counter(cells[column]).items():
            parts = sorted({p.strip() for p in raw.split(separator) if p.strip()})
            if separator.join(parts) != raw:
                want.add(("multi", column, raw, count, separator.join(parts), ""))
    for column, aliases in scenario["aliases"].items():
        lookup = {str(v).casefold(): str(v) for v in aliases.values()}
        lookup.update({str(k).casefold(): str(v) for k, v in aliases.items()})
        if column in multi:
            seen = Counter(
                p.strip()
                for raw in cells[column]
                for p in {q.strip() for q in raw.split(multi[column])}
                if p.strip()
            )
        else:
            seen = Counter(cells[column])
        for raw, count in seen.items():
            became = lookup.get(raw.casefold(), raw)
            if became != raw:
                iso3 = "GBR" if column == "country" else ""  # the one country alias: UK
                want.add(("aliases", column, raw, count, became, iso3))
    for column, policy in scenario["missing"].items():
        blanks = cells[column].count("")
        if blanks:
            want.add(
                (
                    "missing",
                    column,
                    "",
                    blanks,
                    "unknown" if policy == "unknown" else "(left out)",
                    "",
                )
            )
    return want


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("normrec") / "out"
    made = CliRunner().invoke(
        app, ["select", str(MESSY / "messy.yaml"), "--out", str(folder), "--workers", "1"]
    )
    assert made.exit_code == 0, made.output
    return folder


def test_csv_lists_every_changed_raw_value_with_its_count(out: Path) -> None:
    table = pd.read_csv(out / "normalisation.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["step", "column", "raw", "count", "became", "country_iso3"]
    got = {
        (
            str(r["step"]),
            str(r["column"]),
            str(r["raw"]),
            int(r["count"]),
            str(r["became"]),
            str(r["country_iso3"]),
        )
        for r in table.to_dict("records")
    }
    want = _expected()
    # The fixture has every kind: respelt multi cells, aliases (with a case variant), a
    # country alias, blanks filled and blanks left out.
    assert {w[0] for w in want} == {"multi", "aliases", "missing"}
    assert ("aliases", "country", "UK", 1, "United Kingdom", "GBR") in want
    assert got == want
    assert len(table) == len(got)  # no row twice


def test_report_carries_the_record_and_only_the_internal_variant_shows_it(out: Path) -> None:
    internal = json.loads((out / "report.json").read_text("utf-8"))
    assert len(internal["normalisation"]) == len(_expected())
    for page in ("report.md", "report.html"):
        assert SECTION in (out / page).read_text("utf-8")
        assert SECTION not in (out / "public" / page).read_text("utf-8")
    public = json.loads((out / "public" / "report.json").read_text("utf-8"))
    assert public["normalisation"] == [] and public["warnings"] == []
    assert not (out / "public" / "normalisation.csv").exists()
    assert "Pacific Digital Rights" not in (out / "public" / "report.md").read_text("utf-8") or (
        "Pacific Digital Rights" in (out / "public" / "roster.csv").read_text("utf-8")
    )


def test_old_report_json_without_the_field_still_reads(out: Path) -> None:
    from balancer.selection.report import Report

    data = json.loads((out / "report.json").read_text("utf-8"))
    del data["normalisation"]
    assert Report.model_validate(data).normalisation == []


def test_country_spellings_and_replaced_stated_values_are_recorded() -> None:
    """Two spellings of one country become its short name, with the ISO3 code matched; a
    region the pool stated is replaced by the country's, and recorded too."""
    from balancer.engine.problem import build_problem
    from balancer.io.files import parse_scenario_text, pool_from_frame

    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "country": ["Kenya", "KEN", "KEN", "Fiji"],
            "un_region": ["African", "Africa", "African", "Asia-Pacific"],
        }
    )
    scenario = parse_scenario_text(
        "pool: unused.csv\nboard_size: 2\nderive: {un_region: country}\n"
    )
    problem = build_problem(scenario, pool_from_frame(frame))
    got = {
        (r.step, r.column, r.raw, r.count, r.became, r.country_iso3)
        for r in problem.pool.normalisation
    }
    assert ("country", "country", "KEN", 2, "Kenya", "KEN") in got
    assert ("derive", "un_region", "Africa", 1, "African", None) in got
    assert not any(r[2] in ("Kenya", "Fiji", "African") and r[0] != "derive" for r in got)
    assert problem.pool.table["country"].tolist() == ["Kenya"] * 3 + ["Fiji"]


def test_case_variants_of_a_named_value_are_recorded_with_their_counts() -> None:
    from balancer.io.normalise import fold_case
    from balancer.spec.normalisation import NormalisedValue
    from balancer.spec.scenario import Scenario

    table = pd.DataFrame({"id": list("abcde"), "d": ["yes", "Yes", "YES", "YES", "No"]})
    scenario = Scenario.model_validate(
        {"name": "t", "board_size": 2, "pool": "p.csv", "quotas": {"d": {"yes": {"min": 1}}}}
    )
    records: list[NormalisedValue] = []
    fold_case(scenario, table, records=records)
    assert {(r.step, r.raw, r.count, r.became) for r in records} == {
        ("case", "YES", 2, "yes"),
        ("case", "Yes", 1, "yes"),
    }
