"""One provenance block in every document: the same fields, true hashes, names not paths."""

from __future__ import annotations

import hashlib
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import balancer
from balancer.decide import audit, compare, sweep
from balancer.decide.replace import replace
from balancer.fair.run import run_lottery
from balancer.io.files import load_scenario
from balancer.io.provenance import Provenance

FIELDS = set(Provenance.model_fields)


def _files(tmp: Path) -> tuple[Path, Path]:
    rng = random.Random(3)
    (tmp / "pools").mkdir()
    pool = pd.DataFrame(
        {
            "id": [f"p{i:02d}" for i in range(10)],
            "gender": [rng.choice(["woman", "man"]) for _ in range(10)],
            "region": [rng.choice(["north", "south"]) for _ in range(10)],
            "disability": [rng.choice(["yes", "no"]) for _ in range(10)],
        }
    )
    pool.to_csv(tmp / "pools" / "pool.csv", index=False)
    spec: dict[str, Any] = {
        "name": "provenance",
        "board_size": 4,
        "pool": "pools/pool.csv",
        "seed": 42,
        "quotas": {"gender": {"woman": {"min": 1}}},
        "targets": {"region": "equal"},
    }
    scenario = tmp / "s.yaml"
    scenario.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return scenario, tmp / "pools" / "pool.csv"


def _check(block: Provenance | None, scenario: Path, pool: Path, command: str | None) -> None:
    assert block is not None
    assert set(block.model_dump()) == FIELDS
    assert block.scenario_file == "s.yaml"
    assert block.pool_file == "pools/pool.csv"
    assert block.scenario_sha256 == hashlib.sha256(scenario.read_bytes()).hexdigest()
    assert block.pool_sha256 == hashlib.sha256(pool.read_bytes()).hexdigest()
    assert block.seed == 42
    assert block.command == command
    assert block.balancer_version and block.solver_version and block.created
    text = block.model_dump_json()
    assert str(scenario.parent) not in text  # never an absolute path


def test_every_document_carries_the_same_provenance(tmp_path: Path) -> None:
    scenario, pool = _files(tmp_path)
    chosen = balancer.select(scenario, workers=1, explain_board=False, command="balancer select")
    _check(chosen.report.provenance, scenario, pool, "balancer select")

    roster = tmp_path / "roster.csv"
    roster.write_text("id\n" + "\n".join(chosen.roster_ids) + "\n", encoding="utf-8")
    checked = audit.audit(roster, scenario, workers=1, command="balancer check")
    _check(checked.provenance, scenario, pool, "balancer check")
    assert checked.roster_file == "roster.csv"

    replaced = replace(
        load_scenario(scenario),
        chosen.roster_ids,
        chosen.roster_ids[:1],
        workers=1,
        command="balancer replace",
    )
    _check(replaced.replacement.provenance, scenario, pool, "balancer replace")

    lottery = run_lottery(scenario, boards=10, workers=1, command="balancer lottery")
    _check(lottery.record.provenance, scenario, pool, "balancer lottery")

    both = compare.compare_arguments(
        [str(scenario), f"{roster}@{scenario}"], workers=1, command="balancer compare"
    )
    assert both.provenance is not None and both.provenance.command == "balancer compare"
    for option in both.options:
        _check(option.provenance, scenario, pool, option.provenance.command)

    with ThreadPoolExecutor(1) as executor:
        swept = sweep.run_sweep(
            scenario,
            [sweep.parse_vary("board_size=3..4")],
            executor=executor,
            command="balancer sweep",
        )
    _check(swept.provenance, scenario, pool, "balancer sweep")


def test_command_line_names_no_folder_of_the_conveners_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Absolute paths in the recorded command become relative (inside the working folder)
    or bare file names (outside it), so a published document shows no user name or layout."""
    from balancer.cli.shell import command_line

    monkeypatch.chdir(tmp_path)
    argv = [
        "balancer",
        "select",
        "/home/ana/nominations/s.yaml",
        "--out",
        str(tmp_path / "out" / "public"),
        "--why-not=/srv/x/y.csv",
        "relative/s.yaml",
    ]
    monkeypatch.setattr("sys.argv", argv)
    recorded = command_line()
    assert recorded == "balancer select s.yaml --out out/public --why-not=y.csv relative/s.yaml"
    assert "/home" not in recorded and str(tmp_path) not in recorded
