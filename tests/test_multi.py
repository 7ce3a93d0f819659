"""Multi-valued cells (``multi: {column: separator}``): one candidate, several values.

A candidate counts towards every value among the parts of their cell. The brute force here
re-reads that rule with plain Python sets and exact fractions, without the engine's splitting
helpers, and enumerates every board; the engine must pick the very same board.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest
import yaml

import balancer
from balancer.engine.problem import BalanceProblem, build_problem
from balancer.engine.solve import solve
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.spec.errors import InputError

HAND_POOL = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e"],
        "stakeholder_group": [
            "Civil Society; Academia",
            "Civil Society",
            "Academia",
            "Private Sector",
            "Private Sector;Civil Society",
        ],
        "gender": ["woman", "man", "man", "woman", "man"],
    }
)

HAND_SCENARIO = """
name: Multi by hand
board_size: 2
pool: unused.csv
multi: {stakeholder_group: ";"}
quotas:
  stakeholder_group: {Academia: {min: 1}, Private Sector: {min: 1}}
  gender: {woman: {min: 1}}
targets:
  stakeholder_group: equal
"""


def _build(text: str, frame: pd.DataFrame) -> BalanceProblem:
    return build_problem(parse_scenario_text(text), pool_from_frame(frame))


def test_board_known_by_hand() -> None:
    # Allowed boards: {a,d}, {a,e}, {c,d} (Academia from a or c, Private Sector from d or e,
    # a woman from a or d). Targets are 2/3 seat for each of the three parts. {a,d} holds one
    # of each (gaps 1/3, 1/3, 1/3); {a,e} has two in Civil Society (gap 4/3); {c,d} none
    # (gap 2/3). So {a,d}; read per cell, 'a' would not count for Academia at all.
    result = balancer.select(parse_scenario_text(HAND_SCENARIO), pool_from_frame(HAND_POOL))
    assert result.status == "optimal"
    assert sorted(result.roster_ids) == ["a", "d"]
    balance = result.report.objective
    assert balance is not None
    assert balance.max_gap_exact == "1/3"
    assert balance.total_gap_exact == "1"


def test_member_counted_in_both_groups() -> None:
    result = balancer.select(parse_scenario_text(HAND_SCENARIO), pool_from_frame(HAND_POOL))
    rows = {r.value: r for r in result.report.composition if r.column == "stakeholder_group"}
    assert set(rows) == {"Academia", "Civil Society", "Private Sector"}
    # 'a' alone is both the board's Academia and its Civil Society member.
    assert (rows["Academia"].board, rows["Civil Society"].board) == (1, 1)
    assert rows["Private Sector"].board == 1
    assert (rows["Academia"].pool, rows["Civil Society"].pool, rows["Private Sector"].pool) == (
        2,
        3,
        2,
    )
    assert rows["Civil Society"].target_seats == pytest.approx(2 / 3)
    achieved = {c.id: c.achieved for c in result.report.constraints}
    assert achieved["quota:stakeholder_group=Academia:min"] == 1
    supply = {(s.column, s.value): s for s in result.report.supply}
    assert supply[("stakeholder_group", "Civil Society")].available == 3
    assert supply[("stakeholder_group", "Civil Society")].board == 1
    assert "Civil Society" in result.markdown()


def test_same_set_one_profile_and_pool_targets() -> None:
    frame = pd.DataFrame(
        {
            "id": ["p1", "p2", "p3", "p4"],
            "sg": ["x ; y", "y;x;", "x", " y "],
        }
    )
    problem = _build("board_size: 2\npool: u.csv\nmulti: {sg: ';'}\ntargets: {sg: pool}\n", frame)
    assert sorted(p.size for p in problem.profiles) == [1, 1, 2]
    assert problem.pool.table["sg"].tolist() == ["x;y", "x;y", "x", "y"]
    # Pool shares are each part's count over the sum of part counts: 3/6 each.
    assert {t.value: t.share for t in problem.targets} == {
        "x": Fraction(1, 2),
        "y": Fraction(1, 2),
    }
    assert sorted(problem.profiles_matching({"sg": frozenset(["x"])})) == sorted(
        i for i, p in enumerate(problem.profiles) if "x" in p.values["sg"]
    )


def test_cap_counts_members_having_the_value() -> None:
    text = "board_size: 2\npool: u.csv\nmulti: {sg: ';'}\ncaps: {sg: 1}\n"
    frame = pd.DataFrame({"id": ["p1", "p2", "p3"], "sg": ["x;y", "x", "y"]})
    problem = _build(text, frame)
    assert sorted(r.id for r in problem.rules if r.kind.value == "cap") == [
        "cap:sg=x",
        "cap:sg=y",
    ]
    result = balancer.select(parse_scenario_text(text), pool_from_frame(frame))
    assert sorted(result.roster_ids) == ["p2", "p3"]


def test_typo_of_a_part_is_caught() -> None:
    text = "board_size: 1\npool: u.csv\nmulti: {sg: ';'}\nquotas: {sg: {Academa: {min: 1}}}\n"
    with pytest.raises(InputError) as caught:
        _build(text, HAND_POOL.rename(columns={"stakeholder_group": "sg"}))
    assert "did you mean 'Academia'" in str(caught.value)


def test_aliases_apply_to_each_part() -> None:
    text = (
        "board_size: 1\npool: u.csv\nmulti: {sg: ';'}\n"
        "aliases: {sg: {CSO: Civil Society}}\nquotas: {sg: {Civil Society: {min: 1}}}\n"
    )
    frame = pd.DataFrame({"id": ["p1", "p2"], "sg": ["cso; Academia", "Academia"]})
    problem = _build(text, frame)
    assert problem.pool.table["sg"].tolist() == ["Academia;Civil Society", "Academia"]


def test_bad_separator_and_unknown_column() -> None:
    with pytest.raises(InputError) as caught:
        parse_scenario_text("board_size: 1\npool: u.csv\nmulti: {sg: ''}\n")
    assert "multi" in str(caught.value) and "empty" in str(caught.value)
    with pytest.raises(InputError) as caught:
        _build("board_size: 1\npool: u.csv\nmulti: {stakeholder_grup: ';'}\n", HAND_POOL)
    text = str(caught.value)
    assert "multi.stakeholder_grup" in text and "stakeholder_group" in text


# -- brute force ---------------------------------------------------------------------------


def _parts(cell: str) -> set[str]:
    return {p.strip() for p in cell.split("|") if p.strip()}


def _lottery(seed: int, cid: str) -> int:
    ticket = int.from_bytes(hashlib.sha256(f"{seed}:{cid}".encode()).digest(), "big")
    return ticket >> (256 - 31)


def _brute(frame: pd.DataFrame, spec: dict[str, Any]) -> list[str] | None:
    """The best board by enumeration, read with set semantics (ids sorted)."""
    n = spec["board_size"]
    ids = frame["id"].tolist()
    sets = {c: [_parts(v) for v in frame[c]] for c in frame.columns if c != "id"}
    rules: list[tuple[set[int], int, int]] = []
    for column, values in spec.get("quotas", {}).items():
        for value, bounds in values.items():
            rows = {r for r, s in enumerate(sets[column]) if value in s}
            rules.append((rows, bounds.get("min", 0), bounds.get("max", n)))
    for group in spec.get("groups", []):
        rows = {
            r
            for r in range(len(ids))
            if all(value in sets[col][r] for col, value in group["where"].items())
        }
        rules.append((rows, group.get("min", 0), group.get("max", n)))
    for column, cap in spec.get("caps", {}).items():
        for value in set().union(*sets[column]):
            rules.append(({r for r, s in enumerate(sets[column]) if value in s}, 0, cap))
    targets: list[tuple[set[int], Fraction]] = []
    for column, rule in spec.get("targets", {}).items():
        counts: dict[str, int] = {}
        for s in sets[column]:
            for value in s:
                counts[value] = counts.get(value, 0) + 1
        total = sum(counts.values())
        for value, count in counts.items():
            share = Fraction(1, len(counts)) if rule == "equal" else Fraction(count, total)
            rows = {r for r, s in enumerate(sets[column]) if value in s}
            targets.append((rows, share * n))
    seed = spec.get("seed", 0)
    best: tuple[tuple[Fraction, Fraction, int], list[str]] | None = None
    for combo in itertools.combinations(range(len(ids)), n):
        chosen = set(combo)
        if not all(lo <= len(rows & chosen) <= hi for rows, lo, hi in rules):
            continue
        gaps = [abs(len(rows & chosen) - seats) for rows, seats in targets]
        key = (
            max(gaps, default=Fraction(0)),
            sum(gaps, Fraction(0)),
            sum(_lottery(seed, ids[r]) for r in combo),
        )
        if best is None or key < best[0]:
            best = (key, sorted(ids[r] for r in combo))
    return None if best is None else best[1]


def _random_case(rng: random.Random) -> tuple[pd.DataFrame, dict[str, Any]]:
    size = rng.randint(6, 10)
    groups = ["civ", "aca", "pri", "gov"]
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(size)],
            "sg": [" | ".join(rng.sample(groups, rng.choice([1, 1, 2, 3]))) for _ in range(size)],
            "gender": [rng.choice(["w", "m"]) for _ in range(size)],
        }
    )
    n = rng.randint(2, 4)
    present = sorted(set().union(*(_parts(c) for c in frame["sg"])))
    spec: dict[str, Any] = {
        "board_size": n,
        "pool": "unused.csv",
        "seed": rng.randint(0, 1000),
        "multi": {"sg": "|"},
        "quotas": {"sg": {rng.choice(present): {"min": 1}}, "gender": {"w": {"min": 1}}},
        "targets": {"sg": rng.choice(["equal", "pool"])},
    }
    if rng.random() < 0.5:
        spec["caps"] = {"sg": math.ceil(n / 2) + 1}
    if rng.random() < 0.5:
        spec["groups"] = [
            {"name": "mixed", "where": {"sg": rng.choice(present), "gender": "m"}, "max": 1}
        ]
    return frame, spec


@pytest.mark.parametrize("seed", range(5))
def test_engine_matches_brute_force(seed: int) -> None:
    frame, spec = _random_case(random.Random(seed))
    problem = build_problem(parse_scenario_text(yaml.safe_dump(spec)), pool_from_frame(frame))
    expected = _brute(frame, spec)
    solution = solve(problem, workers=1)
    if expected is None:
        assert solution.status == "infeasible"
        return
    assert solution.status == "optimal"
    got = sorted(problem.ids.iloc[list(solution.rows)].tolist())
    assert got == expected, f"{frame.to_csv(index=False)}\n{yaml.safe_dump(spec)}"
