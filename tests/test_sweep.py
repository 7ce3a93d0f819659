"""Sweeps: parsing of ranges, every point solved as select would, the cache, Dask, outputs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.decide import sweep
from balancer.io.files import load_scenario
from balancer.spec.errors import InputError

SCENARIO = Path(__file__).parents[1] / "scenarios" / "sounding-board.yaml"


def test_parse_ranges_and_lists() -> None:
    assert sweep.parse_vary("board_size=9..11") == sweep.Vary("board_size", (9, 10, 11))
    assert sweep.parse_vary("seed=1,2, 3").values == (1, 2, 3)
    assert sweep.parse_vary("quotas.gender.woman.min_share=0.4,1/3").values == ("0.4", "1/3")
    for bad in (
        "board_size",
        "board_size=",
        "board_size=5..3",
        "a..b=1",
        "seed=1,,2",
        "s=1,1",
        "pool=a,b",
    ):
        with pytest.raises(InputError):
            sweep.parse_vary(bad)
    grid = sweep.points([sweep.parse_vary("a=1..2"), sweep.parse_vary("b=x,y")])
    assert grid == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_scenario_at_sets_dotted_keys_and_checks_them() -> None:
    base = load_scenario(SCENARIO).scenario
    changed = sweep.scenario_at(base, {"quotas.sids.yes.min": 0, "board_size": 13}, "s")
    assert changed.board_size == 13 and changed.quotas["sids"]["yes"].min == 0
    assert base.quotas["sids"]["yes"].min == 2  # the base is untouched
    with pytest.raises(InputError, match="board_size"):
        sweep.scenario_at(base, {"board_size": "many"}, "s")
    with pytest.raises(InputError, match="not a mapping"):
        sweep.scenario_at(base, {"board_size.x": 1}, "s")


def test_points_match_select_and_infeasible_points_carry_their_conflict(tmp_path: Path) -> None:
    varies = [sweep.parse_vary("board_size=10..11"), sweep.parse_vary("quotas.sids.yes.min=2,6")]
    with ThreadPoolExecutor(2) as executor:
        result = sweep.run_sweep(SCENARIO, varies, executor=executor, cache_dir=tmp_path)
    assert [r.point for r in result.results] == sweep.points(varies)
    by_point = {tuple(r.point.values()): r for r in result.results}
    direct = balancer.select(SCENARIO, explain_board=False)
    eleven = by_point[(11, 2)]
    assert eleven.status == "optimal" and eleven.roster == direct.roster_ids
    assert direct.report.objective is not None
    assert eleven.max_gap_exact == direct.report.objective.max_gap_exact
    impossible = by_point[(11, 6)]
    assert impossible.status == "infeasible" and impossible.max_gap is None
    assert impossible.conflict and "sids" in impossible.conflict


def test_cache_hit_skips_solved_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    varies = [sweep.parse_vary("board_size=10..11")]
    with ThreadPoolExecutor(2) as executor:
        first = sweep.run_sweep(SCENARIO, varies, executor=executor, cache_dir=tmp_path)
    assert (first.solved, first.cached) == (2, 0)
    assert len(list(tmp_path.glob("*.json"))) == 2

    def no_solving(*args: object) -> sweep.PointResult:
        raise AssertionError("a cached point was solved again")

    monkeypatch.setattr(sweep, "solve_point", no_solving)
    with ThreadPoolExecutor(2) as executor:
        again = sweep.run_sweep(SCENARIO, varies, executor=executor, cache_dir=tmp_path)
    assert (again.solved, again.cached) == (0, 2)
    assert all(r.cached for r in again.results)
    assert [r.roster for r in again.results] == [r.roster for r in first.results]
    # A damaged entry is solved again, not trusted.
    monkeypatch.undo()
    next(iter(tmp_path.glob("*.json"))).write_text("{not json")
    with ThreadPoolExecutor(2) as executor:
        repaired = sweep.run_sweep(SCENARIO, varies, executor=executor, cache_dir=tmp_path)
    assert (repaired.solved, repaired.cached) == (1, 1)


def test_bad_point_is_an_input_error_before_solving(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"quotas\.sids\.yes"):
        sweep.run_sweep(
            SCENARIO, [sweep.parse_vary("quotas.sids.yes.min=-1,1")], cache_dir=tmp_path
        )


@pytest.mark.slow
def test_dask_cluster_runs_the_same_points(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    varies = [sweep.parse_vary("seed=1,2")]
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = sweep.run_sweep(SCENARIO, varies, executor=client.get_executor())
    with ThreadPoolExecutor(2) as executor:
        local = sweep.run_sweep(SCENARIO, varies, executor=executor)
    assert [r.roster for r in result.results] == [r.roster for r in local.results]
    assert result.results[0].roster != result.results[1].roster  # the seed is the lottery's


def test_cli_writes_table_and_chart_and_uses_the_cache(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["sweep", str(SCENARIO), "--vary", "board_size=10..11", "--out", str(tmp_path)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "2 solved, 0 from the cache" in first.output
    for name in ("sweep.csv", "sweep.md", "sweep.json", "sweep.svg", "sweep.html"):
        assert (tmp_path / name).is_file()
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert [r["point"]["board_size"] for r in data["results"]] == [10, 11]
    assert (tmp_path / "sweep.svg").read_text().startswith("<svg")
    second = runner.invoke(app, args)
    assert "0 solved, 2 from the cache" in second.output
    bad = runner.invoke(app, ["sweep", str(SCENARIO), "--vary", "board_size=x..", "--out", "o"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


@pytest.mark.slow
def test_cli_dask_option_uses_the_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    args = ["sweep", str(SCENARIO), "--vary", "seed=1,2", "--out", str(tmp_path)]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        result = CliRunner().invoke(app, [*args, "--dask", cluster.scheduler_address])
        assert result.exit_code == 0, result.output
        assert "2 solved" in result.output
    unreachable = CliRunner().invoke(
        app, [*args, "--cache", str(tmp_path / "other"), "--dask", "tcp://127.0.0.1:1"]
    )
    assert unreachable.exit_code == 2 and "cannot connect" in unreachable.output


def test_sweep_accepts_every_pool_select_accepts(tmp_path: Path) -> None:
    """A pool without the default sensitive column (disability) sweeps as it selects.

    The sweep rebuilds the scenario for each point; keys the convener never wrote (such as
    the default ``sensitive: [disability]``) must stay defaults, not become explicit choices
    that the pool is then checked against.
    """
    pool = tmp_path / "pool.csv"
    rows = [f"p{i},{'woman' if i % 2 else 'man'}" for i in range(8)]
    pool.write_text("id,gender\n" + "\n".join(rows) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "board_size: 4\npool: pool.csv\nquotas:\n  gender:\n    woman: {min: 2}\n",
        encoding="utf-8",
    )
    selected = balancer.select(scenario, explain_board=False)
    assert selected.status == "optimal"
    with ThreadPoolExecutor(1) as executor:
        swept = sweep.run_sweep(
            scenario, [sweep.parse_vary("board_size=4,5")], executor=executor, cache_dir=tmp_path
        )
    assert [r.status for r in swept.results] == ["optimal", "optimal"]
    assert swept.results[0].roster == selected.roster_ids
