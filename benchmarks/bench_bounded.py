"""Bounded work: the explanation on the capped pools of issue 13, wall time and peak memory.

Run on demand (never in the tests)::

    python benchmarks/bench_bounded.py [--cases A,B,C] [--timeout 900] [--kill-gib 8]

Cases (generated pools in ``benchmarks/data/``, made once and reused):

A. 100,000 candidates, 30 seats, at most one per country and one per organisation.
B. 20,000 candidates from 36 countries, 50 seats, at most one per country (no board exists:
   the diagnosis is what is measured; the goal is under a minute).
C. 20,000 candidates, 50 seats, at most two per country and one per organisation.
D. 5,000 candidates, 200 seats, at most three per country, regional targets that two regions
   cannot reach at three per country: the explanation prices 30-odd binding caps (issue 13,
   item 7: within 10x of the solve).

Each case is one ``balancer select`` process under ``/usr/bin/time -v`` (its peak RSS is the
figure; the goal is under 4 GB), killed by a watchdog above ``--kill-gib`` GiB of RSS or after
``--timeout`` seconds, so a regression cannot take the shared machine down. Alongside, the
same case with ``--no-explain`` gives the solve the explanation is compared with. The load
average is printed with every line: the machine is shared.

With ``--cpu N`` each case is instead solved and explained N times in this process, and the
CPU seconds of the solve and of the explanation (every thread's, from ``time.process_time``)
are printed with their wall seconds: on a shared machine, where another process can take one
of the two cores, the CPU ratio moves far less than the wall ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from balancer.io.generate import write_pool_csv

DATA = Path(__file__).parent / "data"
BIN = Path(sys.executable).parent

SCENARIO = """
name: {name}
board_size: {seats}
pool: {pool}
quotas:
  gender:
    woman: {{min_share: 0.45}}
    man: {{min_share: 0.40}}
  un_region:
    African: {{min: {region_min}}}
    Asia-Pacific: {{min: {region_min}}}
    Latin American and Caribbean: {{min: {region_min}}}
  disability:
    "yes": {{min: 2}}
caps: {caps}
targets:
  un_region: {regions}
  stakeholder_group: equal
  gender: {{woman: 0.5, man: 0.5}}
seed: 7
"""

CASES = {
    "A": ("100k / 30, one per country and organisation", 100_000, 30, None,
          "{country: 1, organisation: 1}"),
    "B": ("20k (36 countries) / 50, one per country", 20_000, 50, 36, "{country: 1}"),
    "C": ("20k / 50, two per country, one per organisation", 20_000, 50, None,
          "{country: 2, organisation: 1}"),
    "D": ("5k / 200, three per country (30-odd binding caps)", 5_000, 200, None, "{country: 3}"),
}  # fmt: skip
REGIONS = {
    # Case D asks more of two regions than three seats per country can give (Eastern European:
    # 40 seats from 12 countries; Latin American and Caribbean: 60 from about 16 with enough
    # candidates), so each of those countries' caps binds.
    "D": "{African: 0.2, Asia-Pacific: 0.15, Eastern European: 0.2, "
    "Latin American and Caribbean: 0.3, Western European and Others: 0.15}",
}


def pool_file(size: int, countries: int | None) -> Path:
    """A generated pool; with ``countries``, only the most common ones are kept."""
    DATA.mkdir(parents=True, exist_ok=True)
    suffix = f"-{countries}c" if countries else ""
    path = DATA / f"bounded-{size}{suffix}.csv"
    if path.exists():
        return path
    if countries is None:
        write_pool_csv(path, size, 13)
        return path
    big = DATA / f"bounded-{size * 2}-all.csv"
    write_pool_csv(big, size * 2, 13)
    frame = pd.read_csv(big, dtype=str, keep_default_na=False)
    kept = frame["country"].value_counts().index[:countries]
    frame[frame["country"].isin(kept)].head(size).to_csv(path, index=False)
    big.unlink()
    return path


def rss_of_tree(pid: int) -> int:
    """Resident bytes of a process and its children (from /proc), 0 once it is gone."""
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    except OSError:
        return total
    return total + sum(rss_of_tree(int(c)) for c in children)


def run(argv: list[str], timeout: float, kill_bytes: int) -> dict[str, object]:
    """One process under /usr/bin/time -v, watched; wall seconds, peak RSS and how it ended."""
    started = time.perf_counter()
    process = subprocess.Popen(
        ["/usr/bin/time", "-v", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so the watchdog can end all of it
    )
    ended = "exit"
    while process.poll() is None:
        time.sleep(0.5)
        if rss_of_tree(process.pid) > kill_bytes:
            ended = "killed: memory"
        elif time.perf_counter() - started > timeout:
            ended = "killed: timeout"
        else:
            continue
        os.killpg(process.pid, signal.SIGKILL)
        break
    out, err = process.communicate()
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return {
        "seconds": time.perf_counter() - started,
        "peak_gib": int(peak.group(1)) / 2**20 if peak else None,
        "ended": ended if ended != "exit" else f"exit {process.returncode}",
        "stdout": out,
        "stderr": err,
    }


def cpu_rows(key: str, scenario: Path, repeat: int) -> None:
    """The solve and the explanation of one case in this process, CPU and wall seconds."""
    from balancer.engine.solve import solve
    from balancer.explain import explain
    from balancer.selection.run import select

    board = select(scenario, explain_board=False)  # the pool read and checked once
    problem = board.problem
    for _ in range(repeat):
        load = os.getloadavg()[0]
        cpu, wall = time.process_time(), time.perf_counter()
        solution = solve(problem)
        solve_cpu, solve_wall = time.process_time() - cpu, time.perf_counter() - wall
        cpu, wall = time.process_time(), time.perf_counter()
        explain(problem, solution, board.report.constraints)
        explain_cpu, explain_wall = time.process_time() - cpu, time.perf_counter() - wall
        row = {
            "case": key,
            "load": round(load, 2),
            "solve": {"cpu": round(solve_cpu, 3), "wall": round(solve_wall, 3)},
            "explain": {"cpu": round(explain_cpu, 3), "wall": round(explain_wall, 3)},
            "ratio": {
                "cpu": round(explain_cpu / solve_cpu, 1),
                "wall": round(explain_wall / solve_wall, 1),
            },
        }
        print(json.dumps(row), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="A,B,C,D")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--kill-gib", type=float, default=8)
    parser.add_argument("--skip-bare", action="store_true", help="only the run with explanation")
    parser.add_argument(
        "--cpu", type=int, default=0, metavar="N", help="solve and explain N times in process"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for key in args.cases.split(","):
            label, size, seats, countries, caps = CASES[key]
            pool = pool_file(size, countries)
            scenario = Path(folder) / f"{key}.yaml"
            scenario.write_text(
                SCENARIO.format(
                    name=label,
                    seats=seats,
                    pool=pool,
                    caps=caps,
                    region_min=seats // 6,
                    regions=REGIONS.get(key, "equal"),
                ),
                "utf-8",
            )
            if args.cpu:
                cpu_rows(key, scenario, args.cpu)
                continue
            for extra in [[]] if args.skip_bare else [["--no-explain"], []]:
                out_dir = Path(folder) / f"out-{key}{'-bare' if extra else ''}"
                argv = [str(BIN / "balancer"), "select", str(scenario), "--out", str(out_dir)]
                load = os.getloadavg()[0]
                got = run([*argv, *extra], args.timeout, int(args.kill_gib * 2**30))
                timings, not_computed, classes = {}, None, {}
                report = out_dir / "report.json"
                if report.exists():
                    data = json.loads(report.read_text("utf-8"))
                    timings = data.get("timings", {})
                    explanation = data.get("explanation") or {}
                    not_computed = explanation.get("not_computed")
                    classes = dict(Counter(r["status"] for r in explanation.get("rules", [])))
                row = {
                    "case": f"{key} {label}",
                    "explain": not extra,
                    "load": round(load, 2),
                    **{k: got[k] for k in ("seconds", "peak_gib", "ended")},
                    "status": json.loads(report.read_text("utf-8"))["status"]
                    if report.exists()
                    else None,
                    "timings": {k: timings.get(k) for k in ("read", "solve", "explain", "total")},
                    "not_computed": not_computed,
                    "rule_classes": classes,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
                if str(got["ended"]).startswith("killed"):
                    print(str(got["stderr"])[-2000:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
