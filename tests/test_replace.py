"""Replacing withdrawn members: everyone else stays, and the fill is optimal (brute force)."""

from __future__ import annotations

import io
import itertools
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.decide.replace import replace
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.spec.errors import InputError
from tests.brute import Judge
from tests.test_html import _check_page

SCENARIO = Path(__file__).parents[1] / "scenarios" / "sounding-board.yaml"


def _pool(rng: random.Random, size: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"p{i:02d}" for i in range(size)],
            "gender": [rng.choice(["woman", "man"]) for _ in range(size)],
            "region": [rng.choice(["north", "south", "east"]) for _ in range(size)],
            "disability": [rng.choice(["yes", "no", "no"]) for _ in range(size)],
            "country": [rng.choice(["A", "B", "C", "D"]) for _ in range(size)],
        }
    )


def _scenario(rng: random.Random) -> dict[str, Any]:
    return {
        "name": "small",
        "board_size": 4,
        "pool": "x.csv",
        "seed": rng.randrange(1000),
        "quotas": {"gender": {"woman": {"min": rng.choice([1, 2])}}},
        "caps": {"country": 2},
        "targets": {"region": "equal", "gender": {"woman": "1/2", "man": "1/2"}},
        "objective": {"weights": {"region": 2}},
    }


def _brute(pool: pd.DataFrame, spec: dict[str, Any], kept: list[str], drop: list[str]) -> Any:
    """Least violation seats, then the objective key, over boards keeping ``kept``."""
    judge = Judge(pool, spec)
    ids = judge.ids
    must = {ids.index(k) for k in kept}
    banned = {ids.index(d) for d in drop}
    best = None
    for combo in itertools.combinations(range(len(ids)), judge.size):
        if not must <= set(combo) or banned & set(combo):
            continue
        board = judge.board_mask(combo)
        seats = 0
        for rule in judge.rules:
            count = (board & rule.rows).bit_count()
            seats += max(rule.lo - count, count - rule.hi, 0)
        key = (seats, *judge.key(combo))
        if best is None or key < best[0]:
            best = (key, sorted(combo))
    return best


@pytest.mark.parametrize("case", range(8))
def test_replacement_is_optimal_and_keeps_everyone_else(case: int) -> None:
    rng = random.Random(case)
    frame = _pool(rng, 10)
    spec = _scenario(rng)
    scenario = parse_scenario_text(yaml.safe_dump(spec))
    chosen = balancer.select(scenario, pool_from_frame(frame), workers=1, explain_board=False)
    if chosen.status != "optimal":
        pytest.skip("no board for this pool")
    roster = chosen.roster_ids
    drop = rng.sample(roster, rng.choice([1, 2]))
    kept = [c for c in roster if c not in drop]
    result = replace(scenario, roster, drop, pool=frame, workers=1)
    new = result.replacement
    # Every other member stays, read from the written roster, not from the result's lists.
    written = pd.read_csv(io.StringIO(result.files()["roster.csv"]), dtype=str)
    assert set(kept) <= set(written["id"]) and not set(drop) & set(written["id"])
    assert len(written) == spec["board_size"]
    key, rows = _brute(frame, spec, kept, drop)
    assert [frame["id"].iat[r] for r in rows] == new.roster
    expected = "replaced" if key[0] == 0 else "violates"
    assert new.status == expected
    assert {p.id for p in new.incoming} == set(new.roster) - set(kept)
    if new.after is not None:
        assert Fraction(new.after.max_gap_exact) == key[1]


def _tight_case() -> tuple[pd.DataFrame, Any]:
    """Two women in the pool, both needed: when one withdraws, no woman can replace her."""
    frame = pd.DataFrame(
        {
            "id": ["w1", "w2", "m1", "m2", "m3", "m4"],
            "gender": ["woman", "woman", "man", "man", "man", "man"],
            "disability": ["no", "yes", "no", "no", "no", "no"],
            "region": ["north", "south", "north", "south", "north", "south"],
        }
    )
    spec = (
        "name: tight\nboard_size: 3\npool: x.csv\nquotas:\n  gender: {woman: {min: 2}}\n"
        "  disability: {yes: {min: 1}}\ntargets:\n  region: equal\n"
    )
    return frame, parse_scenario_text(spec)


def test_no_replacement_names_the_broken_rule_and_the_least_bad_option() -> None:
    frame, scenario = _tight_case()
    roster = balancer.select(scenario, pool_from_frame(frame), workers=1).roster_ids
    assert {"w1", "w2"} <= set(roster)
    result = replace(scenario, roster, ["w1"], pool=frame, workers=1).replacement
    assert result.status == "violates"
    assert any("woman" in s for s in result.broken)
    assert any("woman" in s for s in result.conflict)
    assert {"w2"} <= set(result.roster) and "w1" not in result.roster
    assert len(result.roster) == 3


def test_sensitive_rules_are_never_said_per_person() -> None:
    frame, scenario = _tight_case()
    roster = balancer.select(scenario, pool_from_frame(frame), workers=1).roster_ids
    result = replace(scenario, roster, ["w2"], pool=frame, workers=1)
    assert "disability" not in result.files()["replacement.md"]
    assert all("confidential" not in " ".join(p.keeps) for p in result.replacement.incoming)
    assert all(c.before is None for c in result.replacement.rules if c.confidential)


def test_bad_ids_are_input_errors() -> None:
    frame, scenario = _tight_case()
    with pytest.raises(InputError) as caught:
        replace(scenario, ["w1", "w2", "zz"], ["m4", "w1", "w1"], pool=frame)
    text = str(caught.value)
    assert "zz" in text and "m4" in text and "twice" in text


def test_cli_replaces_a_member_of_the_bundled_board(tmp_path: Path) -> None:
    runner = CliRunner()
    chosen = runner.invoke(
        app, ["select", str(SCENARIO), "--out", str(tmp_path / "sel"), "--no-explain"]
    )
    assert chosen.exit_code == 0
    roster = tmp_path / "sel" / "roster.csv"
    ids = pd.read_csv(roster, dtype=str)["id"].tolist()
    result = runner.invoke(
        app,
        [
            "replace",
            str(roster),
            "--scenario",
            str(SCENARIO),
            "--drop",
            ids[1],
            "--out",
            str(tmp_path / "rep"),
        ],
    )
    assert result.exit_code == 0, result.output
    new = pd.read_csv(tmp_path / "rep" / "roster.csv", dtype=str)["id"].tolist()
    assert set(ids) - {ids[1]} <= set(new) and ids[1] not in new and len(new) == len(ids)
    assert "Who comes in" in result.output
    bad = runner.invoke(
        app, ["replace", str(roster), "--scenario", str(SCENARIO), "--drop", "nobody"]
    )
    assert bad.exit_code == 2 and "not on the roster" in bad.output


def test_html_output_is_self_contained_and_escapes_hostile_data(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    frame, _ = _tight_case()
    frame = frame.assign(name=[hostile] * len(frame))
    scenario = parse_scenario_text(
        f"name: Board {hostile}\nboard_size: 3\npool: x.csv\n"
        "quotas:\n  gender: {woman: {min: 1}}\ntargets:\n  region: equal\n"
    )
    roster = balancer.select(scenario, pool_from_frame(frame), workers=1).roster_ids
    result = replace(scenario, roster, ["w2"], pool=frame, workers=1)
    files = result.files()
    text = files["replacement.html"]
    page = _check_page(text)
    assert hostile in page.text_inside("h1") and hostile in page.text_inside("title")
    assert result.replacement.incoming
    assert any(hostile in t for stack, t in page.texts if "td" in stack)  # the name
    for rendered in (text, files["replacement.md"]):
        assert "<script" not in rendered
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
