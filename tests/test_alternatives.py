"""``select --alternatives`` and ``--alternates``, against brute-force enumeration."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.engine.load import prepare
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.selection import alternatives
from balancer.spec.errors import InputError
from tests.brute import Judge


def _pool(rng: random.Random, size: int, scored: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": [f"p{i:02d}" for i in range(size)],
            "gender": [rng.choice(["woman", "man"]) for _ in range(size)],
            "region": [rng.choice(["A", "B", "C"]) for _ in range(size)],
            "country": [rng.choice(["x", "y", "z"]) for _ in range(size)],
        }
    )
    if scored:
        frame["score"] = [str(rng.choice([1, 2, 3])) for _ in range(size)]
    return frame


def _scenario(scored: bool, size: int) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "small",
        "board_size": size,
        "pool": "x.csv",
        "quotas": {"gender": {"woman": {"min": 1}}},
        "caps": {"country": 2},
        "targets": {"region": "equal"},
        "seed": 11,
    }
    if scored:
        spec["objective"] = {"tie_break": "score"}
    return spec


def _expected(judge: Judge, count: int, distance: int) -> list[list[int]]:
    """Board k+1: the smallest key among allowed boards far enough from boards 1..k."""
    allowed = [
        list(c)
        for c in itertools.combinations(range(len(judge.table)), judge.size)
        if not judge.violations(list(c))
    ]
    allowed.sort(key=judge.key)
    chosen: list[list[int]] = []
    for board in allowed:
        if len(chosen) == count:
            break
        if all(len(set(board) & set(b)) <= judge.size - distance for b in chosen):
            chosen.append(board)
    return chosen


@pytest.mark.parametrize(
    ("seed", "scored", "size", "distance"),
    [(s, s % 3 == 0, 3 + s % 2, 1 + s % 3) for s in range(9)],
)
def test_best_boards_match_brute_force(seed: int, scored: bool, size: int, distance: int) -> None:
    rng = random.Random(seed)
    pool = _pool(rng, 9, scored)
    spec = _scenario(scored, size)
    problem, _ = prepare(parse_scenario_text(yaml.safe_dump(spec)), pool_from_frame(pool))
    found = alternatives.best_boards(problem, 4, distance, workers=1)
    assert found == _expected(Judge(pool, spec), 4, distance)


def test_first_alternative_is_the_selected_board() -> None:
    rng = random.Random(5)
    pool = _pool(rng, 10, False)
    spec = _scenario(False, 4)
    result = balancer.select(
        parse_scenario_text(yaml.safe_dump(spec)),
        pool_from_frame(pool),
        workers=1,
        explain_board=False,
        alternatives=3,
        min_difference=2,
    )
    section = result.report.alternatives
    assert section is not None
    assert section.boards[0].roster == result.roster_ids
    assert section.boards[0].out == section.boards[0].incoming == []
    for board in section.boards[1:]:
        assert len(board.out) == len(board.incoming) >= 2
        assert (board.max_gap, board.total_gap) >= (
            section.boards[0].max_gap,
            section.boards[0].total_gap,
        )
    assert "## Alternative boards" in result.markdown()
    assert "## Alternative boards" not in result.markdown(public=True)


def test_fewer_boards_than_asked_when_the_pool_runs_out() -> None:
    pool = pd.DataFrame({"id": ["a", "b", "c"], "gender": ["woman", "man", "man"]})
    spec = parse_scenario_text("board_size: 2\npool: x.csv\nquotas:\n  gender: {woman: {min: 1}}\n")
    problem, _ = prepare(spec, pool_from_frame(pool))
    section = alternatives.alternatives(problem, 5, 1, workers=1)
    assert [b.roster for b in section.boards] in (
        [["a", "b"], ["a", "c"]],
        [["a", "c"], ["a", "b"]],
    )
    assert section.exhausted


def test_alternatives_of_a_pool_read_with_renames_aliases_and_derived_columns() -> None:
    """The pool is normalised once: the N best boards do not rename a renamed header again.

    Same three candidates as above, but under the pool's own headers, spellings and countries.
    """
    pool = pd.DataFrame(
        {
            "Ref": ["a", "b", "c"],
            "Sex": ["F", "male", "M"],
            "Country": ["KEN", "France", "Japan"],
        }
    )
    spec = parse_scenario_text(
        "board_size: 2\npool: x.csv\nid_column: Ref\ncolumns: {Sex: gender}\n"
        "aliases: {gender: {F: woman, male: man, M: man}}\nderive: {un_region: Country}\n"
        "quotas:\n  gender: {woman: {min: 1}}\n  un_region: {African: {min: 1}}\n"
    )
    problem, _ = prepare(spec, pool_from_frame(pool, id_column="Ref"))
    section = alternatives.alternatives(problem, 5, 1, workers=1)
    assert sorted(b.roster for b in section.boards) == [["a", "b"], ["a", "c"]]


def test_bad_min_difference_is_an_input_error() -> None:
    pool = pd.DataFrame({"id": ["a", "b", "c"], "gender": ["woman", "man", "man"]})
    spec = parse_scenario_text("board_size: 2\npool: x.csv\n")
    with pytest.raises(InputError, match="--min-difference"):
        balancer.select(spec, pool_from_frame(pool), alternatives=2, min_difference=3)


# -- alternates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_who_can_step_in_matches_brute_force(seed: int) -> None:
    rng = random.Random(100 + seed)
    pool = _pool(rng, 10, False)
    spec = _scenario(False, 4)
    spec["quotas"]["region"] = {"A": {"min": 1}}
    result = balancer.select(
        parse_scenario_text(yaml.safe_dump(spec)),
        pool_from_frame(pool),
        workers=1,
        explain_board=False,
    )
    if result.status != "optimal":
        pytest.skip("no board for this pool")
    rows = result.solution.rows
    judge = Judge(pool, spec)
    coverage = alternatives.can_step_in(result.problem, rows)
    for p, replaceable in coverage.items():
        for candidate in result.problem.profiles[p].members:
            if int(candidate) in rows:
                continue
            expected = [
                m for m in rows if not judge.violations(sorted({*rows, int(candidate)} - {m}))
            ]
            assert replaceable == expected


def test_alternates_greedy_order_on_a_crafted_pool() -> None:
    # Board of 2 (w and m win on score): at least one woman, at most one per region.
    # u (woman, C) can step in for w or for m, so she is called first; then z (man, C) and
    # y (woman, A) cover one member each, z first by score.
    pool = pd.DataFrame(
        {
            "id": ["w", "m", "y", "z", "u"],
            "gender": ["woman", "man", "woman", "man", "woman"],
            "region": ["A", "B", "A", "C", "C"],
            "score": ["9", "9", "1", "2", "1"],
        }
    )
    spec = parse_scenario_text(
        "board_size: 2\npool: x.csv\nquotas:\n  gender: {woman: {min: 1}}\n"
        "caps: {region: 1}\nobjective: {tie_break: score}\n"
    )
    result = balancer.select(
        spec, pool_from_frame(pool), workers=1, explain_board=False, alternates=3
    )
    assert result.roster_ids == ["w", "m"]
    section = result.report.alternates
    assert section is not None
    assert [(a.id, a.can_replace) for a in section.alternates] == [
        ("u", ["w", "m"]),
        ("z", ["m"]),
        ("y", ["w"]),
    ]
    assert [(r.member, r.alternate) for r in section.replacements] == [("w", "u"), ("m", "u")]


def test_cli_writes_both_sections(tmp_path: Path) -> None:
    rng = random.Random(2)
    _pool(rng, 10, False).to_csv(tmp_path / "pool.csv", index=False)
    spec = {**_scenario(False, 4), "pool": "pool.csv"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    result = CliRunner().invoke(
        app,
        [
            "select",
            str(tmp_path / "s.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--no-explain",
            "--alternatives",
            "2",
            "--min-difference",
            "2",
            "--alternates",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Alternative boards" in text and "## Alternates" in text
    bad = CliRunner().invoke(
        app,
        [
            "select",
            str(tmp_path / "s.yaml"),
            "--out",
            str(tmp_path / "o2"),
            "--alternatives",
            "2",
            "--min-difference",
            "9",
        ],
    )
    assert bad.exit_code == 2
    assert "--min-difference" in bad.output
