"""The synthetic pool generator and the bundled example pool.

Demos, benchmarks and other tests lean on these pools, so they must be reproducible, carry
only the values quotas are written against, and keep derived columns consistent with the
country they were derived from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balancer.io.generate import (
    COLUMNS,
    COUNTRIES,
    GENDERS,
    STAKEHOLDER_GROUPS,
    UN_REGIONS,
    generate_pool,
    write_pool_csv,
)

BOARD = Path(__file__).resolve().parents[1] / "scenarios" / "pools" / "sounding-board.csv"
BY_NAME = {c.name: c for c in COUNTRIES}


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return generate_pool(20_000, seed=3)


def test_same_seed_gives_the_same_pool() -> None:
    pd.testing.assert_frame_equal(generate_pool(500, seed=7), generate_pool(500, seed=7))


def test_different_seeds_give_different_pools() -> None:
    a, b = generate_pool(500, seed=7), generate_pool(500, seed=8)
    assert not a.equals(b)
    assert (a["country"] != b["country"]).any()
    assert (a["id"] == b["id"]).all()


def test_columns_are_strings_in_order(big: pd.DataFrame) -> None:
    assert list(big.columns) == list(COLUMNS)
    for column in COLUMNS:
        assert pd.api.types.is_string_dtype(big[column]), column
        assert big[column].map(lambda value: isinstance(value, str)).all(), column
        assert (big[column] != "").all(), column


def test_values_come_from_the_documented_sets(big: pd.DataFrame) -> None:
    assert set(big["stakeholder_group"]) == set(STAKEHOLDER_GROUPS)
    assert set(big["un_region"]) == set(UN_REGIONS)
    assert set(big["gender"]) == set(GENDERS)
    assert set(big["disability"]) == {"yes", "no"}
    assert set(big["sids"]) == {"yes", "no"}
    assert set(big["country"]) <= set(BY_NAME)
    assert big["name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z]\.").all()


def test_region_and_sids_follow_the_country(big: pd.DataFrame) -> None:
    expected_region = big["country"].map(lambda name: BY_NAME[name].un_region)
    expected_sids = big["country"].map(lambda name: "yes" if BY_NAME[name].sids else "no")
    assert (big["un_region"] == expected_region).all()
    assert (big["sids"] == expected_sids).all()


def test_the_pool_is_realistically_unbalanced(big: pd.DataFrame) -> None:
    groups = big["stakeholder_group"].value_counts(normalize=True)
    regions = big["un_region"].value_counts(normalize=True)
    assert groups.index[0] == "Civil Society"
    assert set(regions.index[:2]) == {"Western European and Others", "Asia-Pacific"}
    assert 0.01 < (big["sids"] == "yes").mean() < 0.08
    assert (big["disability"] == "yes").mean() == pytest.approx(0.07, abs=0.01)
    shares = big["gender"].value_counts(normalize=True)
    assert shares["non-binary"] == pytest.approx(0.03, abs=0.01)
    assert shares["woman"] == pytest.approx(0.48, abs=0.02)


def test_organisations_are_shared_within_a_stakeholder_group(big: pd.DataFrame) -> None:
    sizes = big["organisation"].value_counts()
    assert (sizes > 1).any()
    assert big.groupby("organisation")["stakeholder_group"].nunique().eq(1).all()


@pytest.mark.parametrize(
    ("size", "first", "last"),
    [
        (1, "c001", "c001"),
        (60, "c001", "c060"),
        (999, "c001", "c999"),
        (1000, "c0001", "c1000"),
        (12345, "c00001", "c12345"),
    ],
)
def test_ids_are_zero_padded_to_the_pool_size(size: int, first: str, last: str) -> None:
    ids = generate_pool(size)["id"]
    assert (ids.iloc[0], ids.iloc[-1]) == (first, last)
    assert ids.is_unique
    assert ids.str.len().nunique() == 1


def test_an_empty_pool_still_has_the_columns() -> None:
    empty = generate_pool(0)
    assert empty.empty
    assert list(empty.columns) == list(COLUMNS)


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        generate_pool(-1)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(min_value=0, max_value=400), seed=st.integers(0, 2**63))
def test_size_is_honoured_and_ids_are_unique(size: int, seed: int) -> None:
    pool = generate_pool(size, seed)
    assert len(pool) == size
    assert pool["id"].is_unique
    assert pool.notna().all().all()


def test_csv_round_trip(tmp_path: Path) -> None:
    target = write_pool_csv(tmp_path / "pool.csv", 250, seed=11)
    back = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8")
    pd.testing.assert_frame_equal(back, generate_pool(250, seed=11), check_dtype=False)
    assert b"\r\n" not in target.read_bytes()


def test_country_list_is_spread_and_grouped_correctly() -> None:
    names = [c.name for c in COUNTRIES]
    assert 85 <= len(COUNTRIES) <= 100
    assert len(set(names)) == len(names)
    assert len({c.iso3 for c in COUNTRIES}) == len(COUNTRIES)
    assert all(len(c.iso3) == 3 and c.iso3.isupper() for c in COUNTRIES)
    assert {c.un_region for c in COUNTRIES} == set(UN_REGIONS)
    assert sum(c.sids for c in COUNTRIES) >= 15
    for name, region in [
        ("Kazakhstan", "Asia-Pacific"),
        ("Cyprus", "Asia-Pacific"),
        ("Israel", "Western European and Others"),
        ("Australia", "Western European and Others"),
        ("New Zealand", "Western European and Others"),
        ("United States", "Western European and Others"),
        ("Türkiye", "Western European and Others"),
        ("Cabo Verde", "African"),
        ("Cuba", "Latin American and Caribbean"),
        ("Ukraine", "Eastern European"),
    ]:
        assert BY_NAME[name].un_region == region, name
    for name in ["Fiji", "Singapore", "Jamaica", "Mauritius", "Haiti", "Papua New Guinea"]:
        assert BY_NAME[name].sids, name
    for name in ["Cyprus", "Australia", "Japan", "United Kingdom"]:
        assert not BY_NAME[name].sids, name


def test_bundled_sounding_board_pool() -> None:
    pool = pd.read_csv(BOARD, dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(pool.columns) == list(COLUMNS)
    assert len(pool) == 60
    assert pool["id"].tolist() == [f"c{i:03d}" for i in range(1, 61)]
    assert (pool != "").all().all()

    assert set(pool["un_region"]) == set(UN_REGIONS)
    assert pool["un_region"].value_counts().min() >= 5
    assert 4 <= (pool["sids"] == "yes").sum() <= 6
    assert 3 <= (pool["disability"] == "yes").sum() <= 5
    assert ((pool["un_region"] == "African") & (pool["gender"] == "woman")).sum() >= 2
    groups = pool["stakeholder_group"].value_counts()
    assert groups["Government"] >= 6
    assert groups["Academia"] >= 6
    assert set(pool["stakeholder_group"]) <= set(STAKEHOLDER_GROUPS)
    assert set(pool["gender"]) <= set(GENDERS)
    assert set(pool["disability"]) <= {"yes", "no"}

    countries = pool["country"].value_counts()
    assert (countries >= 2).sum() >= 5
    assert set(pool["country"]) <= set(BY_NAME)
    for row in pool.itertuples():
        country = BY_NAME[str(row.country)]
        assert row.un_region == country.un_region, row.id
        assert row.sids == ("yes" if country.sids else "no"), row.id

    organisations = pool["organisation"].value_counts()
    assert (organisations >= 2).sum() >= 3
    assert organisations.max() <= 3
    assert pool.groupby("organisation")["stakeholder_group"].nunique().eq(1).all()
