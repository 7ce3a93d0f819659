"""End-to-end benchmark of ``balancer select`` against a bare pandas read of the same pool.

Run on demand (not part of the test suite)::

    python benchmarks/bench_select.py [--sizes 1000,100000,1000000] [--boards 11,50,200]
                                      [--repeat N] [--repeat-large N]

For every pool size and board size the benchmark runs two scenarios, one without caps and one
with a per-country cap, on a generated pool (``benchmarks/data/``, made once and reused). Each
selection is a separate ``python -m balancer select`` process, so its wall time and peak memory
are its own; right before it, a separate process of the same kind reads the same CSV with
pandas, so that whatever the (shared) machine is doing hits both. Each case is measured
``--repeat`` times (``--repeat-large`` for pools of a million or more) and the median is
reported, together with the in-process phase timings from the run's ``report.json``.

Results go to stdout and to ``benchmarks/results/select.md`` and ``select.json`` (rewritten
after every run, so an interrupted benchmark leaves what it measured). On a small shared
machine, ``--repeat 3 --repeat-large 1 --timeout 300`` keeps the 18 cases to about 15-25
minutes: a case slower than ``--slow`` seconds on its first run is not repeated, and a
selection still running after ``--timeout`` seconds is killed and reported as a lower bound.
The per-country cap is ``max(1, ceil(board / 80))`` (``--cap`` to override), since the
generator has 93 countries and 12 in the smallest regional group. ``--checkout DIR`` measures
another source tree (say ``git archive <commit> balancer | tar -x -C DIR``) for comparisons.

The goals (from the issue), checked at 1,000,000 candidates: the whole run within 3x the bare
CSV read without caps and within 10x with a per-country cap, and peak memory under 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA_DIR = HERE / "data"
RESULTS_DIR = HERE / "results"

GIB = 1024**3
MIB = 1024**2
NONE = "-"  # an empty table cell
LARGE = 1_000_000
GOAL_RATIO_NO_CAP = 3.0
GOAL_RATIO_CAP = 10.0
GOAL_PEAK_BYTES = 2 * GIB

UN_REGIONS = (
    "African",
    "Asia-Pacific",
    "Eastern European",
    "Latin American and Caribbean",
    "Western European and Others",
)

# The bare read the selection is compared with: the same call a user would make by hand.
# It prints its own in-process read time, so start-up costs can be told apart.
READ_SCRIPT = """\
import sys, time, json
import pandas as pd
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(frame)}))
"""


# ---------------------------------------------------------------------------------------------
# Measuring a child process
# ---------------------------------------------------------------------------------------------


@dataclass
class ChildRun:
    """One finished child process: exit code, wall seconds, peak resident memory, CPU seconds."""

    exit_code: int
    wall: float
    peak_bytes: int
    stdout: str
    stderr: str
    timed_out: bool = False
    # User plus system CPU seconds of the child (all its threads). On a shared machine the wall
    # time depends on what else runs; the CPU time much less, so it is reported next to it.
    cpu: float = 0.0


def _maxrss_bytes(maxrss: int) -> int:
    """``ru_maxrss`` is in KiB on Linux and in bytes on macOS."""
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def run_child(argv: list[str], *, timeout: float, work: Path, cwd: Path = ROOT) -> ChildRun:
    """Run ``argv`` and measure it alone: ``wait4`` gives this child's own rusage.

    (``getrusage(RUSAGE_CHILDREN)`` would report the largest of *all* children so far, so a
    small run after a big one would inherit the big one's peak.)
    """
    out_path, err_path = work / "child.out", work / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        deadline = started + timeout
        timed_out = False
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    process.kill()
                    timed_out = True
                    pid, status, usage = os.wait4(process.pid, 0)
                    break
                time.sleep(0.005)
        except BaseException:  # interrupted: leave no selection running behind us
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - started
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code  # reaped by wait4; tell Popen so it does not wait again
    return ChildRun(
        exit_code=exit_code,
        wall=wall,
        peak_bytes=_maxrss_bytes(usage.ru_maxrss),
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
        timed_out=timed_out,
        cpu=usage.ru_utime + usage.ru_stime,
    )


# ---------------------------------------------------------------------------------------------
# Pools and scenarios
# ---------------------------------------------------------------------------------------------


def pool_path(size: int, seed: int) -> Path:
    return DATA_DIR / f"pool-{size}-seed{seed}-email.csv"


def with_email(frame: Any) -> Any:
    """The generated pool plus a tenth, free-text column: an e-mail address per candidate.

    Real pools carry names, organisations and e-mails that are (nearly) unique per row; the
    generator writes names and organisations but no e-mail, and its output is fixed by tests,
    so the benchmark adds the column here. The address is built from the id (unique) and the
    organisation's first word, so it is as long and as varied as a real one.
    """
    import pandas as pd

    first = frame["organisation"].str.split(" ", n=1).str[0].str.lower()
    local = frame["name"].str.replace(r"[^A-Za-z]", "", regex=True).str.lower()
    email = local + "." + frame["id"].str.lower() + "@" + first + ".example.org"
    frame.insert(2, "email", pd.Series(email, dtype="str"))
    return frame


def ensure_pool(size: int, seed: int) -> Path:
    """The generated pool for ``(size, seed)``, written once (atomically) and then reused."""
    path = pool_path(size, seed)
    if path.exists():
        return path
    from balancer.io.generate import generate_pool

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = path.with_suffix(".csv.partial")
    with_email(generate_pool(size, seed)).to_csv(
        partial, index=False, encoding="utf-8", lineterminator="\n"
    )
    partial.replace(path)
    print(
        f"generated {path.relative_to(ROOT)} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


def country_cap(board: int, override: int | None) -> int:
    """Seats per country: 1 where the ~93 generated countries allow it with room to spare."""
    return override if override is not None else max(1, math.ceil(board / 80))


def scenario(pool: Path, board: int, cap: int | None, seed: int) -> dict[str, Any]:
    """Five attributes with quotas and targets, as a convener would write them."""
    spec: dict[str, Any] = {
        "name": f"bench {board} seats" + (f", country cap {cap}" if cap is not None else ""),
        "board_size": board,
        "pool": str(pool),
        "quotas": {
            "un_region": {region: {"min_share": 0.1} for region in UN_REGIONS},
            "gender": {"woman": {"min_share": 0.45}},
            "disability": {"yes": {"min": max(1, math.ceil(0.04 * board))}},
            "sids": {"yes": {"min": max(1, math.ceil(0.05 * board))}},
        },
        "targets": {
            "un_region": "equal",
            "stakeholder_group": "equal",
            "gender": {"woman": 0.5, "man": 0.5},
        },
        "seed": seed,
    }
    if cap is not None:
        spec["caps"] = {"country": cap}
    return spec


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    size: int
    board: int
    cap: int | None

    @property
    def label(self) -> str:
        cap = "no cap" if self.cap is None else f"cap {self.cap}"
        return f"{self.size:>9,} x {self.board:>3} ({cap})"


@dataclass
class Sample:
    """One repetition of a case: the selection and the bare read next to it."""

    select_wall: float
    select_peak_bytes: int
    select_exit: int
    read_wall: float
    read_peak_bytes: int
    read_inner: float | None
    status: str
    unique: bool | None
    profiles: int | None
    timings: dict[str, Any] | None
    error: str | None = None
    select_cpu: float | None = None  # None in results saved before CPU times were measured
    read_cpu: float | None = None


@dataclass
class CaseResult:
    case: Case
    samples: list[Sample] = field(default_factory=list)

    def median(self, name: str) -> float | None:
        values = [getattr(s, name) for s in self.samples if getattr(s, name) is not None]
        return statistics.median(values) if values else None

    def median_timing(self, name: str) -> float | None:
        values = [s.timings[name] for s in self.samples if s.timings and name in s.timings]
        return statistics.median(values) if values else None

    def representative(self) -> Sample:
        """The sample with the median select wall time (its stages are shown)."""
        ordered = sorted(self.samples, key=lambda s: s.select_wall)
        return ordered[(len(ordered) - 1) // 2]

    def ratio(self) -> float | None:
        """Median over runs of select / the bare read run right before it (same machine state)."""
        ratios = [s.select_wall / s.read_wall for s in self.samples if s.read_wall > 0]
        return statistics.median(ratios) if ratios else None

    def cpu_ratio(self) -> float | None:
        """Median over runs of select's CPU seconds / the bare read's (less load-dependent than
        the wall ratio; the solver's threads count in full, so it can exceed the wall ratio)."""
        ratios = [
            s.select_cpu / s.read_cpu
            for s in self.samples
            if s.select_cpu is not None and s.read_cpu
        ]
        return statistics.median(ratios) if ratios else None

    def goal(self) -> str:
        """Whether the issue's goals hold (only judged at a million candidates or more)."""
        if self.case.size < LARGE:
            return ""
        ratio, peak = self.ratio(), self.median("select_peak_bytes")
        if ratio is None or peak is None or self.representative().status != "optimal":
            return "n/a"
        limit = GOAL_RATIO_NO_CAP if self.case.cap is None else GOAL_RATIO_CAP
        misses = []
        if ratio > limit:
            misses.append(f"ratio>{limit:g}")
        if peak >= GOAL_PEAK_BYTES:
            misses.append("RSS>=2GiB")
        return "ok" if not misses else "MISS " + ",".join(misses)


def warm_up(pool: Path, args: argparse.Namespace) -> None:
    """Load the interpreter, pandas, pyarrow and OR-Tools once, untimed, into the page cache."""
    with tempfile.TemporaryDirectory(prefix="bench-select-") as temp:
        work = Path(temp)
        run_child([sys.executable, "-c", READ_SCRIPT, str(pool)], timeout=600, work=work)
        run_child(
            [sys.executable, "-m", "balancer", "--version"],
            timeout=600,
            work=work,
            cwd=args.checkout,
        )


def measure(case: Case, pool: Path, args: argparse.Namespace) -> Sample:
    """A bare pandas read of the pool, then the selection, each in its own process."""
    with tempfile.TemporaryDirectory(prefix="bench-select-") as temp:
        work = Path(temp)
        read = run_child(
            [sys.executable, "-c", READ_SCRIPT, str(pool)], timeout=args.timeout, work=work
        )
        read_inner = None
        if read.exit_code == 0:
            read_inner = float(json.loads(read.stdout.strip().splitlines()[-1])["seconds"])

        scenario_file = work / "scenario.yaml"
        spec = scenario(pool, case.board, case.cap, args.seed)
        scenario_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        out_dir = work / "out"
        argv = [sys.executable, "-m", "balancer", "select", str(scenario_file)]
        argv += ["--out", str(out_dir)]
        if args.workers is not None:
            argv += ["--workers", str(args.workers)]
        if args.time_limit is not None:
            argv += ["--time-limit", str(args.time_limit)]
        if args.no_explain:
            argv += ["--no-explain"]
        # ``python -m`` puts the working folder first on sys.path: that picks the checkout.
        select = run_child(argv, timeout=args.timeout, work=work, cwd=args.checkout)

        status, unique, profiles, timings, error = "error", None, None, None, None
        report_file = out_dir / "report.json"
        if report_file.exists():
            report = json.loads(report_file.read_text(encoding="utf-8"))
            status = report["status"]
            unique = report.get("unique")
            profiles = report["provenance"]["profiles"]
            timings = report["timings"]
        if select.timed_out:
            status, error = "timeout", f"killed after {args.timeout:g} s"
        elif select.exit_code not in (0, 3, 4):
            lines = select.stderr.strip().splitlines()
            error = lines[-1] if lines else f"exit code {select.exit_code}"
    return Sample(
        select_wall=select.wall,
        select_peak_bytes=select.peak_bytes,
        select_exit=select.exit_code,
        read_wall=read.wall,
        read_peak_bytes=read.peak_bytes,
        read_inner=read_inner,
        status=status,
        unique=unique,
        profiles=profiles,
        timings=timings,
        error=error,
        select_cpu=select.cpu,
        read_cpu=read.cpu,
    )


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 2) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def _mib(value: float | None) -> str:
    return NONE if value is None else f"{value / MIB:.0f}"


def results_table(results: list[CaseResult]) -> str:
    head = (
        "| size | board | cap | runs | select wall s | pandas read s | ratio | select CPU s "
        "| read CPU s | CPU ratio | peak RSS MiB | read RSS MiB | profiles | read s | build s "
        "| solve s | explain s | status | goal |"
    )
    lines = [head, "|" + "---:|" * 17 + "---|---|"]
    for result in results:
        case, rep = result.case, result.representative()
        status = rep.status + (" (unique)" if rep.unique else "")
        if rep.error:
            status += f": {rep.error}"
        bound = ">" if rep.status == "timeout" else ""  # killed: the true time is longer
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{case.size:,}",
                    str(case.board),
                    NONE if case.cap is None else str(case.cap),
                    str(len(result.samples)),
                    bound + _num(result.median("select_wall")),
                    _num(result.median("read_wall")),
                    bound + _num(result.ratio(), 1),
                    _num(result.median("select_cpu")),
                    _num(result.median("read_cpu")),
                    _num(result.cpu_ratio(), 1),
                    _mib(result.median("select_peak_bytes")),
                    _mib(result.median("read_peak_bytes")),
                    NONE if rep.profiles is None else str(rep.profiles),
                    _num(result.median_timing("read")),
                    _num(result.median_timing("build")),
                    _num(result.median_timing("solve")),
                    _num(result.median_timing("explain")),
                    status.replace("|", "/"),
                    result.goal(),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def stages_table(results: list[CaseResult]) -> str:
    lines = [
        "| size | board | cap | total s (in-process) | stages (name: seconds) |",
        "|---:|---:|---:|---:|---|",
    ]
    for result in results:
        case, rep = result.case, result.representative()
        timings = rep.timings or {}
        stages = ", ".join(
            f"{stage['name']}: {stage['seconds']:.2f}" for stage in timings.get("stages", [])
        )
        lines.append(
            f"| {case.size:,} | {case.board} | {NONE if case.cap is None else case.cap} "
            f"| {_num(timings.get('total'))} | {stages or NONE} |"
        )
    return "\n".join(lines)


def source_state(checkout: Path) -> str:
    """Which code was measured: the commit, and how many files under balancer/ differ from it."""

    def git(*argv: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(checkout), *argv], capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    top = git("rev-parse", "--show-toplevel")
    if commit is None or top is None or Path(top).resolve() != checkout:
        return f"{checkout} (not a git checkout)"
    changed = git("status", "--porcelain", "--", "balancer") or ""
    count = len(changed.splitlines())
    dirty = f" with {count} changed path(s) under balancer/" if count else ""
    return f"{checkout} at {commit}{dirty}"


def environment() -> dict[str, Any]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "balancer": version("balancer"),
        "pandas": version("pandas"),
        "numpy": version("numpy"),
        "ortools": version("ortools"),
        "pyarrow": version("pyarrow"),
    }


def markdown(
    results: list[CaseResult], env: dict[str, Any], args: argparse.Namespace, wall: float
) -> str:
    caps = sorted({(r.case.board, r.case.cap) for r in results if r.case.cap is not None})
    cap_text = ", ".join(f"board {board}: {cap}" for board, cap in caps) or "none"
    return "\n".join(
        [
            "# `balancer select` benchmark",
            "",
            f"{env['date']}; Python {env['python']}, pandas {env['pandas']}, numpy "
            f"{env['numpy']}, OR-Tools {env['ortools']}, pyarrow {env['pyarrow']}; "
            f"{env['cpus']} CPUs ({env['platform']}); load average before/after "
            f"{env['load_before']} / {env['load_after']}.",
            "",
            f"Repeats: {args.repeat} (pools of {LARGE:,} or more: {args.repeat_large}); values "
            f"are medians. Per-country caps used: {cap_text}. Solver workers: "
            f"{args.workers or 'balancer default'}. Cases slower than {args.slow:g} s on their "
            f"first run are not repeated; runs are killed after {args.timeout:g} s (shown as "
            f"'>' and status timeout). Whole benchmark: {wall / 60:.1f} min.",
            f"Code measured: {env['source']}. Peak RSS of this driver: "
            f"{env['driver_peak_mib']} MiB (a floor under every child's figure).",
            *(
                [
                    "",
                    "**Warning: packages changed during the run: "
                    + "; ".join(env["changed_during_run"])
                    + ".**",
                ]
                if env["changed_during_run"]
                else []
            ),
            "",
            "*select wall* and *pandas read* are whole child processes (interpreter start, "
            "imports, work) run back to back; *ratio* is the median of select / read over the "
            "pairs; *CPU* columns are the same processes' user + system CPU seconds (less "
            "dependent on the machine's load; the solver's threads add up). *read .. explain* are "
            "the in-process phases from `report.json` (read = parse the scenario, read and "
            "check the pool, hash the lottery tickets and build the profiles; build = the "
            f"CP-SAT model). Goals at {LARGE:,}: ratio <= {GOAL_RATIO_NO_CAP:g} without caps, "
            f"<= {GOAL_RATIO_CAP:g} with a cap, peak RSS < 2 GiB.",
            "",
            results_table(results),
            "",
            "Solver stages of the median run:",
            "",
            stages_table(results),
            "",
        ]
    )


def as_json(
    results: list[CaseResult], env: dict[str, Any], args: argparse.Namespace, wall: float
) -> dict[str, Any]:
    return {
        "environment": env,
        "arguments": {k: v for k, v in vars(args).items() if not k.startswith("_")},
        "benchmark_seconds": wall,
        "cases": [
            {
                **asdict(result.case),
                "median": {
                    "select_wall": result.median("select_wall"),
                    "read_wall": result.median("read_wall"),
                    "read_inner": result.median("read_inner"),
                    "ratio": result.ratio(),
                    "cpu_ratio": result.cpu_ratio(),
                    "select_peak_bytes": result.median("select_peak_bytes"),
                    "read_peak_bytes": result.median("read_peak_bytes"),
                    **{
                        phase: result.median_timing(phase)
                        for phase in ("read", "build", "solve", "explain", "total")
                    },
                },
                "goal": result.goal(),
                "samples": [asdict(sample) for sample in result.samples],
            }
            for result in results
        ],
    }


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def save(
    results: list[CaseResult],
    env: dict[str, Any],
    args: argparse.Namespace,
    wall: float,
    *,
    final: bool,
) -> str:
    """Write select.md and select.json (marked partial until the last run); return the text."""
    env["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    env["complete"] = final
    # Children start from a copy of this process, and Linux counts that copy in their peak
    # (it is a max, not a sum): a driver this small cannot inflate any selection's figure.
    env["driver_peak_mib"] = round(
        _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / MIB
    )
    now = environment()
    changed = [
        f"{name} {env[name]} -> {now[name]}"
        for name in ("balancer", "pandas", "numpy", "ortools", "pyarrow")
        if now[name] != env[name]
    ]
    env["changed_during_run"] = changed
    done = [result for result in results if result.samples]
    text = markdown(done, env, args, wall)
    if not final:
        text = "**Partial results: the benchmark is still running or was interrupted.**\n\n" + text
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "select.md").write_text(text, encoding="utf-8")
    (args.results / "select.json").write_text(
        json.dumps(as_json(done, env, args, wall), indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    return text


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=_int_list, default=[1000, 100_000, 1_000_000])
    parser.add_argument("--boards", type=_int_list, default=[11, 50, 200])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument(
        "--repeat-large",
        type=int,
        default=None,
        help=f"runs per case for pools of {LARGE:,} or more (default: --repeat)",
    )
    parser.add_argument(
        "--variants",
        choices=["both", "nocap", "cap"],
        default="both",
        help="run without caps, with a per-country cap, or both (default)",
    )
    parser.add_argument(
        "--cap", type=int, default=None, help="per-country cap (default max(1, ceil(board/80)))"
    )
    parser.add_argument("--seed", type=int, default=0, help="pool generator and lottery seed")
    parser.add_argument("--workers", type=int, default=None, help="passed to balancer select")
    parser.add_argument("--time-limit", type=float, default=None, help="passed to select")
    parser.add_argument(
        "--no-explain", action="store_true", help="pass --no-explain to select (issue 13 item 7)"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="kill a selection after this many seconds"
    )
    parser.add_argument(
        "--slow",
        type=float,
        default=60.0,
        help="do not repeat a case whose first selection took longer than this (seconds)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="output folder")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="run `python -m balancer` from this source tree, e.g. an unpacked `git archive` of "
        "another commit to compare with (default: this repository's working tree)",
    )
    parser.add_argument("--label", default=None, help="names the measured code in the results")
    parser.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="only rewrite select.md (and print it) from a saved select.json; runs nothing",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or (args.repeat_large is not None and args.repeat_large < 1):
        parser.error("--repeat and --repeat-large must be at least 1")
    if args.repeat_large is None:
        args.repeat_large = args.repeat
    args.checkout = args.checkout.resolve()
    if not (args.checkout / "balancer" / "__main__.py").is_file():
        parser.error(f"--checkout {args.checkout} has no balancer/__main__.py")
    return args


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def rerender(path: Path, results_dir: Path) -> int:
    """Write select.md again from a saved select.json, without running anything."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    env: dict[str, Any] = saved["environment"]
    env.setdefault("driver_peak_mib", "?")
    env.setdefault("changed_during_run", [])
    args = argparse.Namespace(**saved["arguments"])
    args.results = results_dir
    results = []
    for item in saved["cases"]:
        result = CaseResult(Case(item["size"], item["board"], item["cap"]))
        result.samples = [Sample(**sample) for sample in item["samples"]]
        results.append(result)
    text = markdown(results, env, args, float(saved["benchmark_seconds"]))
    if not env.get("complete", True):
        text = "**Partial results: the benchmark is still running or was interrupted.**\n\n" + text
    print(text)
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "select.md").write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json is not None:
        return rerender(args.from_json, args.results)
    signal.signal(signal.SIGTERM, _stop)  # clean up (child, temporary folder) on `kill`
    started = time.perf_counter()
    env = environment()
    env["source"] = source_state(args.checkout) + (f" ({args.label})" if args.label else "")
    env["load_before"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    caps: list[bool] = {"both": [False, True], "nocap": [False], "cap": [True]}[args.variants]
    cases = [
        Case(size, board, country_cap(board, args.cap) if capped else None)
        for size in args.sizes
        for board in args.boards
        for capped in caps
    ]
    pools = {size: ensure_pool(size, args.seed) for size in args.sizes}
    results = [CaseResult(case) for case in cases]
    warm_up(pools[min(args.sizes)], args)

    # Round-robin over the cases, so slow drift on a shared machine spreads over all of them.
    # A case slower than --slow on its first run is not repeated: its time is the solver's
    # search, which repeats would only confirm at great cost on a shared machine.
    rounds = max(args.repeat, args.repeat_large)
    for round_number in range(rounds):
        for result in results:
            case = result.case
            wanted = args.repeat_large if case.size >= LARGE else args.repeat
            if round_number >= wanted:
                continue
            if result.samples and result.samples[0].select_wall > args.slow:
                continue
            sample = measure(case, pools[case.size], args)
            result.samples.append(sample)
            print(
                f"[{round_number + 1}/{wanted}] {case.label}: select {sample.select_wall:6.2f} s "
                f"({sample.select_peak_bytes / MIB:5.0f} MiB, {sample.status}), "
                f"read {sample.read_wall:5.2f} s" + (f"  {sample.error}" if sample.error else ""),
                file=sys.stderr,
                flush=True,
            )
            # Written after every run, so an interrupted benchmark still leaves its results.
            save(results, env, args, time.perf_counter() - started, final=False)

    text = save(results, env, args, time.perf_counter() - started, final=True)
    print(text)
    print(f"wrote {args.results / 'select.md'} and select.json", file=sys.stderr)
    return 0 if all(s.error is None for r in results for s in r.samples) else 1


if __name__ == "__main__":
    sys.exit(main())
