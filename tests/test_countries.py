"""The shipped country table: counts, lookups, overrides, and the public cross-check."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from balancer.io import countries
from balancer.spec.errors import InputError
from tests.crosscheck import differences

CROSSCHECK = Path(__file__).parents[2] / "shared" / "reference" / "country_crosscheck.csv"
DECISIONS = Path(countries.__file__).parent / "data" / "country_decisions.csv"


def test_counts() -> None:
    table = countries.shipped()
    members = countries.members()
    assert len(members) == 193
    groups = Counter(c.un_region for c in members)
    assert set(groups) - {"none"} == set(countries.REGIONS)
    assert groups == {
        "African": 54,
        "Asia-Pacific": 53,
        "Eastern European": 23,
        "Latin American and Caribbean": 33,
        "Western European and Others": 29,  # 28 members and the United States
        "none": 1,  # Kiribati
    }
    observers = sorted(c.name for c in table.countries.values() if c.un_status == "observer")
    assert observers == ["Holy See", "State of Palestine"]
    sids = [c for c in table.countries.values() if c.sids == "yes"]
    assert sum(c.un_status == "member" for c in sids) == 38
    assert sum(c.un_status == "territory" for c in sids) == 20
    assert sum(c.ldc == "yes" for c in members) == 44
    assert sum(c.lldc == "yes" for c in members) == 32
    assert list(countries.check_table(table)) == []
    assert len({c.iso2 for c in table.countries.values()}) == len(table.countries)


@pytest.mark.parametrize(
    ("spelling", "iso3"),
    [
        ("Czech Republic", "CZE"),
        ("czechia", "CZE"),
        ("Turkey", "TUR"),
        ("TÜRKIYE", "TUR"),
        ("Ivory Coast", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Côte d\u2019Ivoire", "CIV"),
        ("South Korea", "KOR"),
        ("Republic of Korea", "KOR"),
        ("Russia", "RUS"),
        ("UK", "GBR"),
        ("gb", "GBR"),
        ("usa", "USA"),
        ("United States of America", "USA"),
        ("Vietnam", "VNM"),
        ("St. Lucia", "LCA"),
        ("  the Gambia ", "GMB"),
        ("ken", "KEN"),
        ("Curacao", "CUW"),
    ],
)
def test_lookup(spelling: str, iso3: str) -> None:
    found = countries.shipped().lookup(spelling)
    assert found is not None and found.iso3 == iso3


def test_special_cases() -> None:
    table = countries.shipped()

    def get(code: str) -> countries.Country:
        found = table.lookup(code)
        assert found is not None
        return found

    assert get("USA").un_region == "Western European and Others"
    assert get("TUR").un_region == "Western European and Others"
    assert get("ISR").un_region == "Western European and Others"
    assert get("KIR").un_region == "none"
    assert get("EST").un_region == "Eastern European"
    assert get("CYP").un_region == "Asia-Pacific"
    assert get("BHR").sids == "yes"
    assert get("BTN").ldc == "no" and get("STP").ldc == "no" and get("SLB").ldc == "yes"


def test_nearest() -> None:
    assert "Kenya" in countries.shipped().nearest("Kenia")


def test_override(tmp_path: Path) -> None:
    file = tmp_path / "mine.csv"
    file.write_text("iso3,global_south\nCHN,no\nMEX,yes\n", encoding="utf-8")
    table = countries.load(file)
    assert table.countries["CHN"].global_south == "no"
    assert table.countries["MEX"].global_south == "yes"
    assert table.countries["CHN"].un_region == "Asia-Pacific"  # untouched fields kept


def test_bad_override(tmp_path: Path) -> None:
    file = tmp_path / "mine.csv"
    file.write_text("iso3,sids,colour\nKENYA,maybe,\nKEN,maybe,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        countries.load(file)
    text = str(caught.value)
    assert "colour" in text and "KENYA" in text and "row 3, sids" in text
    assert len(caught.value.problems) == 3


def test_crosscheck() -> None:
    if not CROSSCHECK.exists():
        pytest.skip(f"the shared cross-check table is absent ({CROSSCHECK})")
    found = differences(countries.shipped(), CROSSCHECK)
    with DECISIONS.open(encoding="utf-8") as stream:
        lines = [line for line in stream if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    assert all(r["reason"].strip() for r in rows), "every decision needs a reason"
    documented = {(r["iso3"], r["field"], r["ours"], r["theirs"]) for r in rows}
    undocumented = sorted(found - documented)
    assert undocumented == [], "differences with no decision in country_decisions.csv"
    stale = sorted(documented - found)
    assert stale == [], "decisions that no longer match a difference"
