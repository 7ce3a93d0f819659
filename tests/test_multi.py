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
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import balancer
from balancer.decide.replace import replace
from balancer.engine.problem import BalanceProblem, build_problem
from balancer.engine.solve import solve
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.spec.errors import InputError
from balancer.spec.rules import ID

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


def _rules(frame: pd.DataFrame, spec: dict[str, Any]) -> list[tuple[set[int], int, int]]:
    """Every rule as (rows counted, min, max), read with set semantics from the cells."""
    n = spec["board_size"]
    sets = {c: [_parts(v) for v in frame[c]] for c in frame.columns if c != "id"}
    rules: list[tuple[set[int], int, int]] = []
    for column, values in spec.get("quotas", {}).items():
        for value, bounds in values.items():
            rows = {r for r, s in enumerate(sets[column]) if value in s}
            rules.append((rows, bounds.get("min", 0), bounds.get("max", n)))
    for group in spec.get("groups", []):
        rows = {
            r
            for r in range(len(frame))
            if all(value in sets[col][r] for col, value in group["where"].items())
        }
        rules.append((rows, group.get("min", 0), group.get("max", n)))
    for column, cap in spec.get("caps", {}).items():
        for value in set().union(*sets[column]):
            rules.append(({r for r, s in enumerate(sets[column]) if value in s}, 0, cap))
    return rules


def _brute(frame: pd.DataFrame, spec: dict[str, Any]) -> list[str] | None:
    """The best board by enumeration, read with set semantics (ids sorted)."""
    n = spec["board_size"]
    ids = frame["id"].tolist()
    sets = {c: [_parts(v) for v in frame[c]] for c in frame.columns if c != "id"}
    rules = _rules(frame, spec)
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


# -- alternates and replacements count each part -----------------------------------------------

WORKED_POOL = pd.DataFrame(
    {
        "id": ["a1", "c1", "c2", "m1"],
        "stakeholder_group": [
            "Academia",
            "Civil Society",
            "Civil Society",
            "Academia;Civil Society",
        ],
        "score": ["9", "9", "1", "1"],
    }
)

WORKED_SCENARIO = """
name: Worked example of issue 11
board_size: 2
pool: unused.csv
multi: {stakeholder_group: ";"}
quotas:
  stakeholder_group: {Academia: {min: 1}}
objective: {tie_break: score}
"""


def test_worked_example_multi_member_is_the_first_alternate() -> None:
    # The board is {a1, c1} (highest scores). m1 is Academia and Civil Society: without a1 the
    # board {c1, m1} still holds an academic, without c1 so does {a1, m1}; c2 can only step in
    # for c1 (without a1 no academic is left). Read as one whole cell, m1 counts towards
    # nothing and can replace only c1, like c2.
    result = balancer.select(
        parse_scenario_text(WORKED_SCENARIO),
        pool_from_frame(WORKED_POOL),
        workers=1,
        explain_board=False,
        alternates=3,
    )
    assert sorted(result.roster_ids) == ["a1", "c1"]
    section = result.report.alternates
    assert section is not None
    assert [(a.id, sorted(a.can_replace)) for a in section.alternates] == [
        ("m1", ["a1", "c1"]),
        ("c2", ["c1"]),
    ]
    assert {r.member: r.alternate for r in section.replacements} == {"a1": "m1", "c1": "m1"}


def test_worked_example_replacement_keeps_the_academia_quota() -> None:
    # a1 withdraws: m1 is the only academic left, so m1 comes in and keeps "Academia at least
    # 1"; read per whole cell, m1's reasons named no rule at all.
    result = replace(
        parse_scenario_text(WORKED_SCENARIO),
        ["a1", "c1"],
        ["a1"],
        pool=pool_from_frame(WORKED_POOL),
        workers=1,
    ).replacement
    assert result.status == "replaced"
    assert result.roster == ["c1", "m1"]
    (incoming,) = result.incoming
    assert incoming.id == "m1"
    assert len(incoming.keeps) == 1 and "Academia" in incoming.keeps[0]
    academia = next(c for c in result.rules if c.description == incoming.keeps[0])
    assert (academia.before, academia.after, academia.met) == (1, 1, True)


def _tight_case(rng: random.Random) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A random multi-valued case with a maximum too, so that some swaps break a rule."""
    frame, spec = _random_case(rng)
    present = sorted(set().union(*(_parts(c) for c in frame["sg"])))
    limited = rng.choice(present)
    spec["quotas"]["sg"].setdefault(limited, {})["max"] = 1
    spec["targets"] = {}
    return frame, spec


def test_alternates_match_a_set_semantics_brute_force() -> None:
    checked = multi_cells_seen = 0
    for seed in range(40):
        frame, spec = _tight_case(random.Random(1000 + seed))
        result = balancer.select(
            parse_scenario_text(yaml.safe_dump(spec)),
            pool_from_frame(frame),
            workers=1,
            explain_board=False,
            alternates=len(frame),
        )
        if result.status != "optimal":
            continue
        rules = _rules(frame, spec)
        ids = frame["id"].tolist()
        board = {ids.index(cid) for cid in result.roster_ids}

        def meets(rows: set[int], rules: list[tuple[set[int], int, int]] = rules) -> bool:
            return all(lo <= len(counted & rows) <= hi for counted, lo, hi in rules)

        assert meets(board)
        expected = {}
        for candidate in sorted(set(range(len(ids))) - board):
            can = {ids[m] for m in board if meets((board - {m}) | {candidate})}
            if can:
                expected[ids[candidate]] = can
                multi_cells_seen += len(_parts(str(frame["sg"].iat[candidate]))) > 1
        section = result.report.alternates
        assert section is not None
        got = {a.id: set(a.can_replace) for a in section.alternates}
        assert got == expected, f"{frame.to_csv(index=False)}\n{yaml.safe_dump(spec)}"
        checked += 1
    assert checked >= 20 and multi_cells_seen >= 10


def test_alternates_on_the_messy_fixture_count_each_part() -> None:
    # The messy nominations: aliases, derived regions, an ex officio include and
    # 'Gov;Academia'-style cells. Each rule is re-read here from the prepared cells with plain
    # sets (the rule's columns and values, not balancer's matching) for every swap.
    scenario = Path(__file__).parent / "data" / "messy" / "messy.yaml"
    result = balancer.select(scenario, workers=1, explain_board=False, alternates=200)
    assert result.status == "optimal"
    problem = result.problem
    table = problem.pool.table
    separators = problem.scenario.multi

    def holds(row: int, column: str, allowed: frozenset[str]) -> bool:
        if column == ID:  # include/exclude name a person
            return str(table[problem.pool.id_column].iat[row]) in allowed
        cell = str(table[column].iat[row])
        sep = separators.get(column)
        parts = {p.strip() for p in cell.split(sep)} - {""} if sep else {cell} - {""}
        return bool(parts & allowed)

    rules = [
        (
            {r for r in range(len(table)) if all(holds(r, c, a) for c, a in rule.where.items())},
            rule.lo,
            rule.hi,
        )
        for rule in problem.rules
    ]
    board = set(result.solution.rows)

    def meets(rows: set[int]) -> bool:
        return all(lo <= len(counted & rows) <= hi for counted, lo, hi in rules)

    assert meets(board)
    ids = [str(v) for v in problem.ids]
    expected = {}
    for candidate in sorted(set(range(len(table))) - board):
        can = {ids[m] for m in board if meets((board - {m}) | {candidate})}
        if can:
            expected[ids[candidate]] = can
    section = result.report.alternates
    assert section is not None
    assert {a.id: set(a.can_replace) for a in section.alternates} == expected
    multi = [
        cid
        for cid in expected
        if separators["stakeholder_group"] in str(table["stakeholder_group"].iat[ids.index(cid)])
    ]
    assert multi, "the fixture should have multi-valued alternates"
