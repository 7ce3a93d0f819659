"""Checking a scenario against its pool: :func:`balancer.engine.problem.build_problem`.

Every name the scenario uses must exist in the pool, typos must be caught with the existing
spellings listed, and shares must turn into seats exactly as the README says.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from balancer.engine.problem import BalanceProblem, build_problem, seats_from_bounds
from balancer.io.files import Pool, parse_scenario_text, pool_from_frame, read_pool
from balancer.spec.errors import InputError
from balancer.spec.rules import ID, Kind
from balancer.spec.scenario import SeatBounds

DATA = Path(__file__).parent / "data"
POOL_CSV = DATA / "pool.csv"


@pytest.fixture(scope="module")
def pool() -> Pool:
    return read_pool(POOL_CSV)


def build(text: str, pool: Pool, board_size: int = 6) -> BalanceProblem:
    scenario = parse_scenario_text(f"board_size: {board_size}\npool: pool.csv\n{text}")
    return build_problem(scenario, pool, source="s.yaml")


def refused(text: str, pool: Pool, board_size: int = 6) -> list[str]:
    with pytest.raises(InputError) as caught:
        build(text, pool, board_size)
    return [str(p) for p in caught.value.problems]


def bounds_of(problem: BalanceProblem) -> dict[str, tuple[int, int]]:
    return {rule.id: (rule.lo, rule.hi) for rule in problem.rules}


# ---------------------------------------------------------------------------------------------
# Names: columns, values, ids
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("quotas: {regoin: {African: {min: 1}}}\n", "quotas.regoin"),
        ("groups: [{name: g, where: {regoin: African}, min: 1}]\n", "groups[0].where.regoin"),
        ("caps: {contry: 1}\n", "caps.contry"),
        ("targets: {regoin: equal}\n", "targets.regoin"),
        (
            "targets: {region: equal}\nobjective: {weights: {regoin: 2}}\n",
            "objective.weights.regoin",
        ),
    ],
)
def test_unknown_column_gets_a_suggestion(text: str, where: str, pool: Pool) -> None:
    [line] = refused(text, pool)
    column = where.rsplit(".", 1)[-1]
    assert line.startswith(f"s.yaml: {where}: column '{column}' is not in the pool ")
    assert str(POOL_CSV) in line
    assert "did you mean 'region'?" in line or "did you mean 'country'?" in line


def test_unknown_score_column_is_named(pool: Pool) -> None:
    [line] = refused("objective: {tie_break: sokre}\n", pool)
    assert line.startswith("s.yaml: objective.tie_break: column 'sokre' is not in the pool")


def test_value_typo_is_refused_listing_the_values(pool: Pool) -> None:
    [line] = refused("quotas: {region: {Afrcan: {min: 1}}}\n", pool)
    assert line.startswith("s.yaml: quotas.region.Afrcan: value 'Afrcan' of 'region'")
    assert "did you mean 'African'?" in line
    for value in ("African", "Asia-Pacific", "Eastern European", "Western European and Others"):
        assert f"'{value}'" in line


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("quotas: {gender: {Woman: {min: 1}}}\n", "quotas.gender.Woman"),
        ("groups: [{name: g, where: {gender: [man, Woman]}, min: 1}]\n", "groups[0].where.gender"),
        ("targets: {gender: {Woman: 0.5, man: 0.5}}\n", "targets.gender.Woman"),
    ],
)
def test_a_case_only_difference_is_refused(text: str, where: str, pool: Pool) -> None:
    [line] = refused(text, pool)
    assert line.startswith(f"s.yaml: {where}: value 'Woman' of 'gender' is in no pool row")
    assert "did you mean 'woman'?" in line


def test_a_legit_absent_value_is_only_warned(pool: Pool) -> None:
    problem = build(
        "quotas: {gender: {non-binary: {max: 1}}}\n"
        "targets: {gender: {woman: 0.45, man: 0.45, non-binary: 0.1}}\n",
        pool,
    )
    assert problem.warnings == [
        "quotas.gender.non-binary: no candidate in the pool has gender = 'non-binary'",
        "targets.gender.non-binary: no candidate in the pool has gender = 'non-binary'",
    ]
    assert bounds_of(problem)["quota:gender=non-binary:max"] == (0, 1)


def test_unknown_include_and_exclude_ids(pool: Pool) -> None:
    lines = refused("include: [p07, p99]\nexclude: [p98]\n", pool)
    assert sorted(lines) == [
        "s.yaml: exclude[0]: id 'p98' is not in the pool; check the id column",
        "s.yaml: include[1]: id 'p99' is not in the pool; check the id column",
    ]


def test_a_misspelt_include_id_gets_a_suggestion(pool: Pool) -> None:
    [line] = refused("include: [P07]\n", pool)
    assert line.startswith("s.yaml: include[0]: id 'P07' is not in the pool")
    assert "did you mean 'p07'?" in line


def test_same_id_twice_in_include(pool: Pool) -> None:
    [line] = refused("include: [p01, p02, p01]\n", pool)
    assert line == "s.yaml: include: lists p01 more than once; list each id once"


def test_id_in_both_include_and_exclude(pool: Pool) -> None:
    with pytest.raises(InputError) as caught:
        build("include: [p01]\nexclude: [p01]\n", pool)
    assert "p01" in str(caught.value) and "both included and excluded" in str(caught.value)


def test_board_larger_than_pool(pool: Pool) -> None:
    [line] = refused("", pool, board_size=13)
    assert line == (
        "s.yaml: board_size: board of 13 is larger than the pool of 12; "
        "reduce board_size or add candidates"
    )


def test_empty_cells_in_criteria_columns_are_named_by_row(tmp_path: Path) -> None:
    text = POOL_CSV.read_text().splitlines()
    # Blank the gender of rows 3 and 5 and the region of row 4 (the header is row 1), and the
    # country of row 6: a capped column may have empty cells.
    rows = [line.split(",") for line in text]
    rows[2][2] = rows[4][2] = ""
    rows[3][3] = ""
    rows[5][6] = ""
    path = tmp_path / "pool.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    pool = read_pool(path)
    lines = refused(
        "quotas: {gender: {woman: {min: 1}}}\ntargets: {region: equal}\ncaps: {country: 1}\n",
        pool,
    )
    assert sorted(lines) == [
        f"{path}: column 'gender': empty in 2 row(s) (row 3, row 5); "
        "fill in 'gender' for every candidate (e.g. 'unknown')",
        f"{path}: column 'region': empty in 1 row(s) (row 4); "
        "fill in 'region' for every candidate (e.g. 'unknown')",
    ]


def test_empty_cells_in_a_group_column_are_named() -> None:
    cells = ["yes", "", "no", "", "", "", "", ""]
    frame = pd.DataFrame({"id": list("abcdefgh"), "sids": cells})
    with pytest.raises(InputError) as caught:
        build("groups: [{name: islands, where: {sids: yes}, min: 1}]\n", pool_from_frame(frame), 2)
    [line] = [str(p) for p in caught.value.problems]
    assert "column 'sids': empty in 6 row(s) (row 3, row 5, row 6, row 7, row 8, ...)" in line


def test_non_numeric_score_column(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("id,score\na,1.5\nb,high\nc,-2\nd,\n")
    [line] = refused("objective: {tie_break: score}\n", read_pool(path), board_size=2)
    assert line.startswith(
        "s.yaml: objective.tie_break: score column 'score' has non-numbers in 2 row(s) "
        "(row 3, row 5)"
    )


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity"])
def test_infinite_score_is_refused(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "pool.csv"
    path.write_text(f"id,score\na,1.5\nb,{cell}\nc,-2\n")
    [line] = refused("objective: {tie_break: score}\n", read_pool(path), board_size=2)
    assert line.startswith("s.yaml: objective.tie_break: score column 'score'")
    assert "row 3" in line


def test_numeric_score_column_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("id,score\na,1.5\nb,3\nc,-2\n")
    problem = build("objective: {tie_break: score}\n", read_pool(path), board_size=2)
    assert problem.score_column == "score"
    assert [problem.score(row) for row in range(3)] == [Fraction(3, 2), 3, -2]


def test_the_id_column_is_not_a_score(pool: Pool) -> None:
    [line] = refused("objective: {tie_break: id}\n", pool)
    assert line.startswith("s.yaml: objective.tie_break: the id column cannot be a score")


def test_weight_on_an_untargeted_column(pool: Pool) -> None:
    [line] = refused("targets: {region: equal}\nobjective: {weights: {gender: 2}}\n", pool)
    assert line == (
        "s.yaml: objective.weights.gender: 'gender' has a weight but no target; "
        "add targets.gender or remove the weight"
    )


def test_problems_after_the_column_check_are_reported_together(pool: Pool) -> None:
    lines = refused(
        "quotas:\n"
        "  region: {Afrcan: {min: 1}}\n"
        "  gender: {Woman: {min: 1}}\n"
        "include: [p99, p01, p01]\n",
        pool,
        board_size=13,
    )
    assert len(lines) == 5, lines
    for where in ("quotas.region.Afrcan", "quotas.gender.Woman", "include[0]", "include:"):
        assert any(where in line for line in lines), where
    assert any("board_size" in line for line in lines)


def test_unknown_column_and_other_problems_are_reported_together(pool: Pool) -> None:
    lines = refused(
        "quotas:\n  regoin: {African: {min: 1}}\n  gender: {Woman: {min: 1}}\ninclude: [p99]\n",
        pool,
        board_size=13,
    )
    for where in ("quotas.regoin", "quotas.gender.Woman", "include[0]", "board_size"):
        assert any(where in line for line in lines), (where, lines)


def test_a_group_with_an_unknown_column_still_has_its_values_checked(pool: Pool) -> None:
    lines = refused("groups: [{name: g, where: {regoin: African, gender: Woman}, min: 7}]\n", pool)
    for words in ("groups[0].where.regoin", "groups[0].where.gender: value 'Woman'", "7 seats"):
        assert any(words in line for line in lines), (words, lines)
    assert len(lines) == 3, lines


# ---------------------------------------------------------------------------------------------
# Shares to seats
# ---------------------------------------------------------------------------------------------


def test_min_share_rounds_up_and_max_share_rounds_down(pool: Pool) -> None:
    problem = build(
        "quotas:\n  gender:\n    woman: {min_share: 0.45}\n    man: {max_share: 0.3}\n",
        pool,
        board_size=11,
    )
    bounds = bounds_of(problem)
    assert bounds["quota:gender=woman:min"] == (5, 11)  # 0.45 x 11 = 4.95 -> 5
    assert bounds["quota:gender=man:max"] == (0, 3)  # 0.3 x 11 = 3.3 -> 3


def test_group_shares_round_the_same_way(pool: Pool) -> None:
    problem = build(
        "groups:\n  - {name: women, where: {gender: woman}, min_share: 0.45, max_share: '6/11'}\n",
        pool,
        board_size=11,
    )
    bounds = bounds_of(problem)
    assert bounds["group:women:min"] == (5, 11)
    assert bounds["group:women:max"] == (0, 6)


@pytest.mark.parametrize(
    ("bounds", "board", "seats"),
    [
        (SeatBounds(min_share=Fraction("0.45")), 11, (5, 11)),
        (SeatBounds(max_share=Fraction("0.3")), 11, (0, 3)),
        # Where floats go wrong: 0.3 x 10 = 3.0000000000000004, 0.29 x 100 = 28.999999999999996.
        (SeatBounds(min_share=Fraction("0.3")), 10, (3, 10)),
        (SeatBounds(max_share=Fraction("0.29")), 100, (0, 29)),
        (SeatBounds(min_share=Fraction(1, 3), max_share=Fraction(1, 3)), 9, (3, 3)),
        (SeatBounds(min_share=Fraction(1, 3), max_share=Fraction(1, 3)), 10, (4, 3)),
        (SeatBounds(min=2, max=4), 10, (2, 4)),
        (SeatBounds(min=2), 10, (2, 10)),
    ],
)
def test_seats_from_bounds(bounds: SeatBounds, board: int, seats: tuple[int, int]) -> None:
    assert seats_from_bounds(bounds, board) == seats


def test_shares_parsed_from_yaml_are_exact(pool: Pool) -> None:
    problem = build(
        "quotas:\n  gender:\n    woman: {min_share: 0.3}\n    man: {max_share: '7/10'}\n",
        pool,
        board_size=10,
    )
    bounds = bounds_of(problem)
    assert bounds["quota:gender=woman:min"] == (3, 10)
    assert bounds["quota:gender=man:max"] == (0, 7)


def test_shares_whose_seats_cross_are_refused(pool: Pool) -> None:
    [line] = refused("quotas: {gender: {woman: {min_share: 0.45, max_share: 0.45}}}\n", pool, 11)
    assert line.startswith(
        "s.yaml: quotas.gender.woman: min_share 0.45 of 11 seats rounds up to 5 and max_share "
        "0.45 rounds down to 4: no number of seats meets both"
    )


def test_a_minimum_above_the_board_is_refused(pool: Pool) -> None:
    lines = refused("quotas: {gender: {woman: {min: 7}}}\n", pool)
    assert "s.yaml: quotas.gender.woman: asks for 7 seats on a board of 6" in lines


def test_a_minimum_above_the_board_is_one_line(pool: Pool) -> None:
    lines = refused("quotas: {gender: {woman: {min: 7}}}\n", pool)
    assert lines == ["s.yaml: quotas.gender.woman: asks for 7 seats on a board of 6"]


def test_rules_skip_bounds_that_cannot_bind(pool: Pool) -> None:
    problem = build("quotas: {gender: {woman: {min: 0, max: 6}, man: {min: 1}}}\n", pool)
    assert sorted(bounds_of(problem)) == ["board-size", "quota:gender=man:min"]


# ---------------------------------------------------------------------------------------------
# Caps
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def countries() -> Pool:
    cells = ["KE", "KE", "KE", "JP", "JP", "FJ", "", "", "", "NA"]
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(len(cells))], "country": cells})
    return pool_from_frame(frame)


@pytest.mark.parametrize(
    ("cap", "capped"),
    [
        (0, ["FJ", "JP", "KE", "NA"]),
        (1, ["JP", "KE"]),
        (2, ["KE"]),
        (3, []),
    ],
)
def test_caps_only_bind_values_whose_supply_exceeds_them(
    countries: Pool, cap: int, capped: list[str]
) -> None:
    problem = build(f"caps: {{country: {cap}}}\n", countries, board_size=4)
    caps = [r for r in problem.rules if r.kind is Kind.CAP]
    assert sorted(r.value or "" for r in caps) == capped  # empty cells never count
    assert all((r.lo, r.hi) == (0, cap) for r in caps)
    assert all(r.id == f"cap:country={r.value}" for r in caps)


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------


def profile_sizes(problem: BalanceProblem) -> dict[tuple[tuple[str, str], ...], int]:
    return {tuple(sorted(p.values.items())): p.size for p in problem.profiles}


def test_candidates_sharing_all_model_columns_are_one_profile(pool: Pool) -> None:
    problem = build("quotas: {gender: {woman: {min: 1}}}\ntargets: {region: equal}\n", pool)
    assert problem.model_columns == ["gender", "region"]
    sizes = profile_sizes(problem)
    # 12 candidates, 10 (gender, region) pairs: African women and Asia-Pacific men come twice.
    assert len(problem.profiles) == 10
    assert sum(sizes.values()) == 12
    assert sizes[(("gender", "woman"), ("region", "African"))] == 2
    assert sizes[(("gender", "man"), ("region", "Asia-Pacific"))] == 2
    members = sorted(int(m) for p in problem.profiles for m in p.members)
    assert members == list(range(12))


def test_no_model_columns_means_one_profile(pool: Pool) -> None:
    problem = build("", pool)
    assert problem.model_columns == []
    assert [p.size for p in problem.profiles] == [12]


def test_caps_and_groups_columns_split_profiles(pool: Pool) -> None:
    problem = build(
        "caps: {country: 1}\ngroups: [{name: islands, where: {sids: yes}, min: 1}]\n", pool
    )
    assert problem.model_columns == ["country", "sids"]
    assert len(problem.profiles) == 11  # only the two KE candidates (both sids=no) coincide


def test_included_and_excluded_ids_get_their_own_profile(pool: Pool) -> None:
    problem = build(
        "quotas: {gender: {woman: {min: 1}}}\ntargets: {region: equal}\n"
        "include: [p01]\nexclude: [p04]\n",
        pool,
    )
    # p01 leaves the African women (p03 stays), p04 leaves the Asia-Pacific men (p06 stays).
    assert len(problem.profiles) == 12
    named = {p.values[ID]: p for p in problem.profiles if ID in p.values}
    assert sorted(named) == ["p01", "p04"]
    assert all(p.size == 1 for p in named.values())
    assert named["p01"].values["region"] == "African"
    ids = problem.ids.tolist()
    rest = [p for p in problem.profiles if ID not in p.values and p.values["region"] == "African"]
    assert sorted(ids[int(m)] for p in rest for m in p.members) == ["p02", "p03"]


def test_profile_members_are_ordered_by_score(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("id,g,score\na,x,1\nb,x,3\nc,x,2\nd,y,0\n")
    problem = build(
        "targets: {g: equal}\nobjective: {tie_break: score}\n", read_pool(path), board_size=2
    )
    by_value = {
        p.values["g"]: [problem.ids.iat[int(m)] for m in p.members] for p in problem.profiles
    }
    assert by_value == {"x": ["b", "c", "a"], "y": ["d"]}
