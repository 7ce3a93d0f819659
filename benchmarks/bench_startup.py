"""Start-up cost of the ``balancer`` command: CPU seconds of ``--help`` and ``--version``.

Run on demand (not part of the test suite)::

    python benchmarks/bench_startup.py [--repeat 10]

Each command is a fresh process; its CPU time (user + system, from ``getrusage`` of the
children) is what the issue's goal is about (under 0.3 s), since wall time on a shared
machine mostly measures the neighbours. A bare ``python -c pass`` runs alongside as the
floor, and the load average is printed with the figures. The minimum over the repeats is
the figure to compare (the others only add scheduler noise); the median is shown too.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "balancer --help": [str(BIN / "balancer"), "--help"],
    "balancer --version": [str(BIN / "balancer"), "--version"],
    "balancer select --help": [str(BIN / "balancer"), "select", "--help"],
}


def cpu_seconds(argv: list[str]) -> float:
    """CPU seconds (user + system) of one run of ``argv``, output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, argv in CASES.items():
        runs = [cpu_seconds(argv) for _ in range(args.repeat)]  # interleaving is not needed:
        # CPU time, unlike wall time, is barely moved by what else the machine runs.
        print(f"{name:<26} CPU min {min(runs):.3f} s, median {statistics.median(runs):.3f} s")
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
