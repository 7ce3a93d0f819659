"""The progress protocol: every long phase is reported, started, stepped and ended.

A recording reporter stands in for the terminal. The tests check which phases a command
reports and that each one is closed; they never time anything.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console

import balancer
from balancer.cli.live import LiveProgress, live, words
from balancer.decide import audit, compare, replace, sweep
from balancer.fair.run import run_lottery
from balancer.io.files import load_scenario
from balancer.spec.progress import PHASES, SILENT, Progress

DATA = Path(__file__).parent / "data"
WORLD = DATA / "inputs" / "world.yaml"  # the messy convener fixture
SCENARIO = DATA / "scenario.yaml"
CONFLICTS = DATA / "explain" / "two-conflicts.yaml"
MESSY = DATA / "messy" / "messy.yaml"  # the XLSX export with its own headers
MESSY_ROSTER = DATA / "messy" / "roster-ids.csv"


class Recorder:
    """Keeps every call, in order, as (event, phase, done, total, detail)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int | None, int | None, str]] = []

    def start(self, phase: str, total: int | None = None) -> None:
        self.calls.append(("start", phase, None, total, ""))

    def step(self, phase: str, done: int, total: int | None = None, detail: str = "") -> None:
        self.calls.append(("step", phase, done, total, detail))

    def end(self, phase: str) -> None:
        self.calls.append(("end", phase, None, None, ""))

    def started(self) -> list[str]:
        return [phase for event, phase, *_ in self.calls if event == "start"]

    def steps(self, phase: str) -> list[tuple[int | None, int | None, str]]:
        return [
            (d, t, text) for event, p, d, t, text in self.calls if event == "step" and p == phase
        ]

    def check_nesting(self) -> None:
        """Every phase ends after it starts, steps only while open, and names a known phase."""
        open_phases: list[str] = []
        for event, phase, *_ in self.calls:
            assert phase in PHASES, phase
            if event == "start":
                open_phases.append(phase)
            elif event == "step":
                assert phase in open_phases, f"step of {phase} outside it"
            else:
                assert open_phases and open_phases[-1] == phase, f"{phase} ended out of order"
                open_phases.pop()
        assert open_phases == []


def test_recorder_and_silent_satisfy_the_protocol() -> None:
    reporters: list[Progress] = [Recorder(), SILENT]
    for reporter in reporters:
        reporter.start("read")
        reporter.step("read", 1, 1, "")
        reporter.end("read")


def test_select_reports_read_check_solve_stages_and_explanation() -> None:
    recorder = Recorder()
    result = balancer.select(WORLD, workers=1, progress=recorder)
    assert result.status == "optimal"
    recorder.check_nesting()
    assert recorder.started() == ["read", "check", "solve", "explain"]
    stages = recorder.steps("solve")
    names = [text for _, _, text in stages]
    # Every stage the solution records is announced, and the counts end at their number.
    assert {s.name for s in result.solution.stages} == set(names)
    assert stages[-1][0] == len(result.solution.stages)
    assert all(total is not None and done <= total for done, total, _ in stages if done is not None)
    explained = recorder.steps("explain")
    assert {"rules", "members"} <= {text for *_, text in explained}
    rules = [(d, t) for d, t, text in explained if text == "rules"]
    assert rules[-1][0] == rules[-1][1]  # every tested rule settled


def test_select_without_explanation_and_infeasible_select_diagnose() -> None:
    recorder = Recorder()
    balancer.select(WORLD, workers=1, explain_board=False, progress=recorder)
    assert recorder.started() == ["read", "check", "solve"]
    recorder = Recorder()
    result = balancer.select(CONFLICTS, workers=1, progress=recorder)
    assert result.status == "infeasible"
    recorder.check_nesting()
    assert recorder.started() == ["read", "check", "solve", "diagnose"]


def test_validate_reports_the_feasibility_test() -> None:
    recorder = Recorder()
    balancer.validate(WORLD, progress=recorder)
    recorder.check_nesting()
    assert recorder.started() == ["read", "check", "feasibility"]
    recorder = Recorder()
    balancer.validate(CONFLICTS, progress=recorder)
    assert recorder.started() == ["read", "check", "feasibility", "diagnose"]


def test_check_replace_and_compare_report_their_reads_and_solves() -> None:
    recorder = Recorder()
    report = audit.audit(MESSY_ROSTER, MESSY, workers=1, progress=recorder)
    assert report.pool_available
    recorder.check_nesting()
    # the optimum, then the two fixes (to meet the rules; to reach the optimum)
    assert recorder.started() == ["read", "check", "solve", "solve", "solve"]
    assert all(recorder.steps("solve"))

    members = [line for line in MESSY_ROSTER.read_text("utf-8").split()[2:] if line]
    recorder = Recorder()
    result = replace.replace(
        load_scenario(MESSY), MESSY_ROSTER, members[:1], workers=1, progress=recorder
    )
    # this hand-made roster leaves no rule-keeping replacement: the least-bad board is solved too
    assert result.replacement.status == "violates"
    recorder.check_nesting()
    assert recorder.started() == ["read", "check", "solve", "solve"]

    recorder = Recorder()
    compare.compare_arguments([str(MESSY), f"{MESSY_ROSTER}@{MESSY}"], progress=recorder)
    recorder.check_nesting()
    # the scenario is solved now (without explanation); the roster is only read and checked
    assert recorder.started() == ["read", "check", "solve", "read", "check"]


def test_lottery_reports_leximin_rounds_with_their_floor() -> None:
    recorder = Recorder()
    result = run_lottery(WORLD, boards=10, workers=1, progress=recorder)
    recorder.check_nesting()
    assert recorder.started() == ["read", "check", "lottery", "leximin"]
    rounds = recorder.steps("leximin")
    assert [done for done, _, _ in rounds] == list(range(1, len(rounds) + 1))
    assert all("floor" in text for *_, text in rounds)
    floors = [float(text.split()[1].rstrip(",")) for *_, text in rounds]
    assert floors == sorted(floors)  # leximin raises the floor round by round
    assert abs(floors[0] - result.record.exact.minimum) < 1e-5


def test_sweep_reports_every_point(tmp_path: Path) -> None:
    recorder = Recorder()
    varies = [sweep.parse_vary("board_size=10..12")]
    with ThreadPoolExecutor(2) as executor:
        sweep.run_sweep(SCENARIO, varies, executor=executor, cache_dir=tmp_path, progress=recorder)
    recorder.check_nesting()
    assert recorder.started() == ["read", "check", "sweep"]
    assert [d for d, *_ in recorder.steps("sweep")] == [0, 1, 2, 3]
    again = Recorder()  # from the cache: every point done at once
    sweep.run_sweep(SCENARIO, varies, cache_dir=tmp_path, progress=again)
    assert [d for d, *_ in again.steps("sweep")] == [3]


def test_terminal_lines_and_silence_elsewhere() -> None:
    assert words("solve", 1, 4, "lottery 1") == "stage 2 of 4: lottery 1"
    assert words("sweep", 3, 8, "points") == "point 3 of 8"
    assert words("leximin", 2, None, "floor 0.25") == "round 2: floor 0.25"
    assert words("explain", 5, 9, "rules") == "rules 5 of 9"
    piped = Console(file=io.StringIO())
    with live(piped) as reporter:
        assert reporter is SILENT  # not a terminal: nothing drawn
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    with live(terminal, quiet=True) as reporter:
        assert reporter is SILENT
    with live(terminal) as reporter:
        assert isinstance(reporter, LiveProgress)
        balancer.select(WORLD, workers=1, explain_board=False, progress=reporter)
    drawn = screen.getvalue()
    assert "solving" in drawn and "stage" in drawn and "reading" in drawn
