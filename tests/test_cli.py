"""The ``balancer`` command: exit codes, one clear line per bad input, and what gets written.

Most runs are in-process with Typer's CliRunner; a few are real subprocesses
(``python -m balancer``) to prove that what a convener sees on stderr is never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from balancer.cli import app
from balancer.spec.errors import InputError, Problem, SolverError

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "scenario.yaml"
POOL = DATA / "pool.csv"
SHORTAGE = "disability=yes needs 2 seats, the pool has 1 such candidate"


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="balancer")
    # Only a deliberate exit may end a command: any other exception is a bug.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BALANCER_DEBUG"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "balancer", *[str(a) for a in args]],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def edit(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture changed: {old!r} not found"
    return text.replace(old, new, 1)


# ---------------------------------------------------------------------------------------------
# Building inputs: the valid fixture, copied and broken in one place
# ---------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    """A scenario and its pool in a temporary folder."""

    folder: Path
    scenario: Path
    pool: Path

    @property
    def out(self) -> Path:
        return self.folder / "out"


Breaker = Callable[[Inputs], None]


def make_inputs(tmp_path: Path, breaker: Breaker | None = None) -> Inputs:
    inputs = Inputs(tmp_path, tmp_path / "scenario.yaml", tmp_path / "pool.csv")
    inputs.scenario.write_text(SCENARIO.read_text())
    inputs.pool.write_bytes(POOL.read_bytes())
    if breaker is not None:
        breaker(inputs)
    return inputs


def scenario_edit(old: str, new: str) -> Breaker:
    def breaker(inputs: Inputs) -> None:
        inputs.scenario.write_text(edit(inputs.scenario.read_text(), old, new))

    return breaker


def pool_edit(old: str, new: str, encoding: str = "utf-8") -> Breaker:
    def breaker(inputs: Inputs) -> None:
        text = edit(inputs.pool.read_text(), old, new)
        inputs.pool.write_bytes(text.encode(encoding))

    return breaker


def missing_scenario(inputs: Inputs) -> None:
    inputs.scenario.unlink()


INFEASIBLE = scenario_edit('yes: {min: 1}                  # stays the word "yes"', "yes: {min: 2}")


@dataclass(frozen=True)
class Bad:
    """A broken input and the words its error line must contain."""

    breaker: Breaker
    file: str
    words: tuple[str, ...]


BAD_INPUTS: dict[str, Bad] = {
    "missing-scenario": Bad(missing_scenario, "scenario.yaml", ("scenario file not found",)),
    "missing-pool": Bad(
        scenario_edit("pool: pool.csv", "pool: members.csv"),
        "members.csv",
        ("pool file not found",),
    ),
    "unknown-column": Bad(
        scenario_edit("  region:\n    African", "  regoin:\n    African"),
        "scenario.yaml",
        ("quotas.regoin", "column 'regoin'", "did you mean 'region'?"),
    ),
    "duplicate-ids": Bad(
        pool_edit("p02,", "p01,"), "pool.csv", ("row 3", "duplicate id 'p01'", "row 2")
    ),
    "empty-id": Bad(pool_edit("p04,", ","), "pool.csv", ("row 5", "empty id")),
    "value-typo": Bad(
        scenario_edit("African: {min: 1}", "Afrcan: {min: 1}"),
        "scenario.yaml",
        ("quotas.region.Afrcan", "did you mean 'African'?"),
    ),
    "min-above-max": Bad(
        scenario_edit("woman: {min_share: 0.5}", "woman: {min: 3, max: 1}"),
        "scenario.yaml",
        ("quotas.gender.woman", "min (3)", "max (1)"),
    ),
    "shares-not-summing-to-1": Bad(
        scenario_edit("gender: {woman: 0.5, man: 0.5}", "gender: {woman: 0.5, man: 0.6}"),
        "scenario.yaml",
        ("'gender'", "sum to 1.1"),
    ),
    "board-larger-than-pool": Bad(
        scenario_edit("board_size: 6", "board_size: 13"),
        "scenario.yaml",
        ("board_size", "13", "12"),
    ),
    "malformed-yaml": Bad(
        scenario_edit("    woman: {min_share: 0.5}", "    woman: {min_share: 0.5}\n   man: 1"),
        "scenario.yaml",
        ("line 10, column", "malformed YAML"),
    ),
    "malformed-csv": Bad(
        pool_edit("yes,no,JP", "yes,no,JP,extra"), "pool.csv", ("line 6", "malformed CSV")
    ),
    "non-utf8-csv": Bad(
        pool_edit("Lucia F.", "Lucía F.\x81", encoding="latin-1"), "pool.csv", ("line 8", "UTF-8")
    ),
}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def assert_reported(stderr: str, bad: Bad, inputs: Inputs) -> None:
    lines = error_lines(stderr)
    assert lines, stderr
    matching = [
        line for line in lines if bad.file in line and all(word in line for word in bad.words)
    ]
    assert matching, f"no line names {bad.file} and {bad.words}:\n{stderr}"
    assert str(inputs.folder) in matching[0], "the file is named by its path"
    assert "nothing was written" in stderr.splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# --version, --help, schema
# ---------------------------------------------------------------------------------------------


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"balancer {version('balancer')} (OR-Tools CP-SAT ")


def test_help_shows_the_example() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "balancer select scenarios/sounding-board.yaml --out out/" in result.stdout
    for command in ("select", "validate", "generate-pool", "schema"):
        assert command in result.stdout


def test_schema_prints_json() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"status", "roster", "constraints"} <= set(schema["properties"])


# ---------------------------------------------------------------------------------------------
# select and validate on good input
# ---------------------------------------------------------------------------------------------


def test_select_writes_the_board(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("select", SCENARIO, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "normalisation.csv",
        "public",
        "report.html",
        "report.json",
        "report.md",
        "roster.csv",
    ]
    public = json.loads((out / "public" / "report.json").read_text())
    assert public["public"] is True

    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "optimal"
    roster = pd.read_csv(out / "roster.csv", dtype=str, keep_default_na=False)
    pool = pd.read_csv(POOL, dtype=str, keep_default_na=False)
    assert report["roster"] == roster["id"].tolist()
    assert list(roster.columns) == list(pool.columns)
    assert len(roster) == 6

    # Rows are the pool's own rows, in pool order.
    rows = pool.set_index("id").loc[roster["id"]].reset_index()
    pd.testing.assert_frame_equal(rows, roster)
    assert roster["id"].tolist() == sorted(roster["id"])

    # The board meets the scenario.
    assert "p07" in set(roster["id"]) and "p12" not in set(roster["id"])
    assert (roster["gender"] == "woman").sum() >= 3
    assert (roster["region"] == "African").sum() >= 1
    assert (roster["region"] == "Western European and Others").sum() <= 1
    assert (roster["disability"] == "yes").sum() >= 1
    assert (roster["sids"] == "yes").sum() >= 1
    assert roster["country"].value_counts().max() == 1
    assert ((roster["gender"] == "woman") & (roster["region"] == "African")).any()

    markdown = (out / "report.md").read_text()
    assert markdown.startswith("# Test board")


def test_select_is_the_same_board_for_any_worker_count(tmp_path: Path) -> None:
    rosters = []
    for workers in (1, 3):
        out = tmp_path / f"out{workers}"
        assert invoke("select", SCENARIO, "--out", out, "--workers", str(workers)).exit_code == 0
        rosters.append(json.loads((out / "report.json").read_text())["roster"])
    assert rosters[0] == rosters[1]


def test_validate_good_input() -> None:
    result = invoke("validate", SCENARIO)
    assert result.exit_code == 0, result.output
    assert "OK: 12 candidates" in result.stdout


# ---------------------------------------------------------------------------------------------
# Bad input: exit 2, one line per problem, nothing written
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_select_refuses_bad_input(tmp_path: Path, case: str) -> None:
    bad = BAD_INPUTS[case]
    inputs = make_inputs(tmp_path, bad.breaker)
    result = invoke("select", inputs.scenario, "--out", inputs.out)
    assert result.exit_code == 2, result.output
    assert_reported(result.stderr, bad, inputs)
    assert not inputs.out.exists()


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_validate_refuses_bad_input(tmp_path: Path, case: str) -> None:
    bad = BAD_INPUTS[case]
    inputs = make_inputs(tmp_path, bad.breaker)
    result = invoke("validate", inputs.scenario)
    assert result.exit_code == 2, result.output
    assert_reported(result.stderr, bad, inputs)


def test_bad_input_leaves_an_existing_out_folder_empty(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, BAD_INPUTS["value-typo"].breaker)
    inputs.out.mkdir()
    assert invoke("select", inputs.scenario, "--out", inputs.out).exit_code == 2
    assert list(inputs.out.iterdir()) == []


def test_several_problems_are_reported_at_once(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    text = inputs.scenario.read_text()
    text = edit(text, "board_size: 6", "board_size: 13")
    text = edit(text, "African: {min: 1}", "Afrcan: {min: 1}")
    text = edit(text, "woman: {min_share: 0.5}", "Woman: {min_share: 0.5}")
    text = edit(text, "include: [p07]", "include: [p07, p99, p07]")
    inputs.scenario.write_text(text)
    result = invoke("select", inputs.scenario, "--out", inputs.out)
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    for words in (
        ("board_size", "13"),
        ("quotas.region.Afrcan", "'African'"),
        ("quotas.gender.Woman", "'woman'"),
        ("include[1]", "'p99'"),
        ("include", "p07 more than once"),
    ):
        assert any(all(w in line for w in words) for line in lines), (words, lines)
    assert len(lines) == 5, lines
    assert result.stderr.splitlines()[-1] == "5 problems found; nothing was written."
    assert not inputs.out.exists()


def test_pool_and_scenario_problems_are_reported_at_once(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, BAD_INPUTS["duplicate-ids"].breaker)
    text = edit(inputs.scenario.read_text(), "  region:\n    African", "  regoin:\n    African")
    inputs.scenario.write_text(edit(text, "woman: {min_share: 0.5}", "Woman: {min_share: 0.5}"))
    result = invoke("select", inputs.scenario, "--out", inputs.out)
    assert result.exit_code == 2
    lines = error_lines(result.stderr)
    for words in (("duplicate id 'p01'",), ("quotas.regoin",), ("quotas.gender.Woman",)):
        assert any(all(w in line for w in words) for line in lines), (words, lines)


def test_out_naming_a_file_is_bad_input(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    result = invoke("select", inputs.scenario, "--out", inputs.pool)
    assert result.exit_code == 2, result.output
    assert any("pool.csv" in line and "--out" in line for line in error_lines(result.stderr))


def test_out_inside_a_file_is_bad_input(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    result = invoke("select", inputs.scenario, "--out", inputs.pool / "out")
    assert result.exit_code == 2, result.output
    [line] = error_lines(result.stderr)
    assert "--out" in line and f"inside {inputs.pool}, a file" in line


@pytest.mark.parametrize(("option", "value"), [("--workers", "0"), ("--time-limit", "0")])
def test_zero_workers_or_seconds_is_bad_input(tmp_path: Path, option: str, value: str) -> None:
    inputs = make_inputs(tmp_path)
    result = invoke("select", inputs.scenario, "--out", inputs.out, option, value)
    assert result.exit_code == 2, result.output
    assert not inputs.out.exists()


def test_negative_workers_is_bad_input(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    result = invoke("select", inputs.scenario, "--out", inputs.out, "--workers", "-1")
    assert result.exit_code == 2, result.output
    assert not inputs.out.exists()


def test_negative_time_limit_is_bad_input(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path)
    result = invoke("select", inputs.scenario, "--out", inputs.out, "--time-limit", "-1")
    assert result.exit_code == 2, result.output
    assert not inputs.out.exists()


def test_infinite_score_is_bad_input(tmp_path: Path) -> None:
    def scored(inputs: Inputs) -> None:
        rows = inputs.pool.read_text().splitlines()
        rows = [rows[0] + ",score"] + [f"{row},{n}" for n, row in enumerate(rows[1:])]
        rows[3] = rows[3].rsplit(",", 1)[0] + ",inf"
        inputs.pool.write_text("\n".join(rows) + "\n")
        text = inputs.scenario.read_text()
        inputs.scenario.write_text(edit(text, "tie_break: lottery", "tie_break: score"))

    inputs = make_inputs(tmp_path, scored)
    result = invoke("select", inputs.scenario, "--out", inputs.out)
    assert result.exit_code == 2, result.output
    assert any("score" in line and "row 4" in line for line in error_lines(result.stderr))
    assert not inputs.out.exists()


# ---------------------------------------------------------------------------------------------
# Infeasible scenarios: exit 3 with the diagnosis written
# ---------------------------------------------------------------------------------------------


def test_select_infeasible_writes_the_diagnosis(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, INFEASIBLE)
    result = invoke("select", inputs.scenario, "--out", inputs.out)
    assert result.exit_code == 3, result.output
    assert SHORTAGE in result.stderr
    assert sorted(p.name for p in inputs.out.iterdir()) == [
        "normalisation.csv",
        "public",
        "report.html",
        "report.json",
        "report.md",
    ]
    report = json.loads((inputs.out / "report.json").read_text())
    assert report["status"] == "infeasible"
    assert report["roster"] == []
    shortages = report["diagnosis"]["shortages"]
    assert [s for s in shortages if "disability" in s] == [SHORTAGE + "."]
    assert SHORTAGE in (inputs.out / "report.md").read_text()


def test_validate_infeasible(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, INFEASIBLE)
    result = invoke("validate", inputs.scenario)
    assert result.exit_code == 3, result.output
    assert SHORTAGE in result.stderr
    assert not inputs.out.exists()


def test_every_shortage_is_named(tmp_path: Path) -> None:
    breaker = scenario_edit("sids:\n    yes: {min: 1}", "sids:\n    yes: {min: 3}")

    def both(inputs: Inputs) -> None:
        INFEASIBLE(inputs)
        breaker(inputs)

    inputs = make_inputs(tmp_path, both)
    assert invoke("select", inputs.scenario, "--out", inputs.out).exit_code == 3
    report = json.loads((inputs.out / "report.json").read_text())
    shortages = report["diagnosis"]["shortages"]
    assert SHORTAGE + "." in shortages
    assert "sids=yes needs 3 seats, the pool has 2 such candidates." in shortages


# ---------------------------------------------------------------------------------------------
# generate-pool
# ---------------------------------------------------------------------------------------------


def test_generate_pool_writes_a_csv_of_the_right_size(tmp_path: Path) -> None:
    target = tmp_path / "pools" / "synthetic.csv"
    result = invoke("generate-pool", "--size", "25", "--out", target, "--seed", "3")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(frame) == 25
    assert frame["id"].is_unique
    assert [p.name for p in target.parent.iterdir()] == ["synthetic.csv"]
    again = tmp_path / "again.csv"
    assert invoke("generate-pool", "--size", "25", "--out", again, "--seed", "3").exit_code == 0
    assert again.read_bytes() == target.read_bytes()


def test_generate_pool_refuses_a_folder_as_out(tmp_path: Path) -> None:
    result = invoke("generate-pool", "--size", "5", "--out", tmp_path)
    assert result.exit_code == 2, result.output
    [line] = error_lines(result.stderr)
    assert "--out" in line and "is a folder" in line
    assert list(tmp_path.iterdir()) == []


def test_generate_pool_refuses_size_zero(tmp_path: Path) -> None:
    result = invoke("generate-pool", "--size", "0", "--out", tmp_path / "p.csv")
    assert result.exit_code == 2
    assert not (tmp_path / "p.csv").exists()


# ---------------------------------------------------------------------------------------------
# Real subprocesses: what a convener's terminal shows
# ---------------------------------------------------------------------------------------------

SUBPROCESS_CASES = [
    "missing-scenario",
    "malformed-yaml",
    "unknown-column",
    "duplicate-ids",
    "malformed-csv",
    "non-utf8-csv",
]


@pytest.mark.slow
@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_subprocess_bad_input_has_no_traceback(tmp_path: Path, case: str) -> None:
    bad = BAD_INPUTS[case]
    inputs = make_inputs(tmp_path, bad.breaker)
    process = run("select", inputs.scenario, "--out", inputs.out)
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr + process.stdout
    assert_reported(process.stderr, bad, inputs)
    assert not inputs.out.exists()


def test_a_library_error_is_one_line_and_its_exit_code_in_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands let the library's errors rise; the command group says them, once for all."""

    def solver_fails(*_: object, **__: object) -> None:
        raise SolverError("the solver ended with MODEL_INVALID")

    monkeypatch.setattr("balancer.decide.audit.audit", solver_fails)
    result = invoke("check", POOL, "--scenario", SCENARIO, "--out", tmp_path / "a")
    assert result.exit_code == 1
    assert "solver: the solver ended with MODEL_INVALID" in result.output
    assert not (tmp_path / "a").exists()

    problems = [Problem("b.yaml", "board_size", "must be a whole number", "write 12")] * 2

    def input_fails(*_: object, **__: object) -> None:
        raise InputError(problems)

    monkeypatch.setattr("balancer.decide.compare.compare_arguments", input_fails)
    result = invoke("compare", SCENARIO, SCENARIO, "--out", tmp_path / "b")
    assert result.exit_code == 2
    assert result.output.count("error: b.yaml: board_size: must be a whole number; write 12") == 2
    assert "2 problems found; nothing was written." in result.output
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_subprocess_select_and_infeasible(tmp_path: Path) -> None:
    good = run("select", SCENARIO, "--out", tmp_path / "good")
    assert good.returncode == 0, good.stderr
    assert "Traceback" not in good.stderr
    assert (tmp_path / "good" / "roster.csv").exists()

    folder = tmp_path / "infeasible"
    folder.mkdir()
    inputs = make_inputs(folder, INFEASIBLE)
    process = run("select", inputs.scenario, "--out", inputs.out)
    assert process.returncode == 3, process.stderr
    assert "Traceback" not in process.stderr + process.stdout
    assert SHORTAGE in process.stderr
    report = json.loads((inputs.out / "report.json").read_text())
    assert report["status"] == "infeasible"


@pytest.mark.slow
def test_subprocess_lottery_infeasible_says_one_line(tmp_path: Path) -> None:
    """No board: the lottery's exit 3 and its one line, with no solver log around it.

    GLOP logs an error to the process's stderr (out of Python's reach) for each dual read
    after a solve without an optimum; the relaxation's bound no longer asks for them."""
    folder = tmp_path / "infeasible"
    folder.mkdir()
    inputs = make_inputs(folder, INFEASIBLE)
    for rule in ("leximin", "maximin", "nash"):
        process = run("lottery", inputs.scenario, "--rule", rule, "--out", inputs.out, "-q")
        assert process.returncode == 3, process.stderr
        lines = process.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("No board can meet every criterion"), lines
