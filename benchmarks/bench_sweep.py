"""Benchmark: a 200-point sweep of the bundled scenario on all cores.

Run on demand:  python benchmarks/bench_sweep.py [--workers N]

The grid is board_size 7..16 x quotas.sids.yes.min 0..3 x seed 1..5 (200 points), solved
without explanation on a process pool, with no cache (every point is solved). A second run
over the same grid with a cache shows the cost of a fully cached rerun. Prints the wall time,
points per second and the mean solving time per point (measured inside the workers, so a
busy machine shows as wall time well above points x mean / processes).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from balancer.decide import sweep

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "sounding-board.yaml"
GRID = ["board_size=7..16", "quotas.sids.yes.min=0..3", "seed=1..5"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    varies = [sweep.parse_vary(v) for v in GRID]
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        for label in ("cold", "cached"):
            started = time.perf_counter()
            with ProcessPoolExecutor(args.workers) as executor:
                result = sweep.run_sweep(SCENARIO, varies, executor=executor, cache_dir=cache)
            wall = time.perf_counter() - started
            points = len(result.results)
            statuses = dict(sweep.iter_statuses(result))
            per_point = sum(r.seconds for r in result.results) / max(points, 1)
            print(
                f"{label}: {points} points ({result.solved} solved, {result.cached} cached) "
                f"on {args.workers} processes in {wall:.2f} s = {points / wall:.1f} points/s; "
                f"mean {per_point:.3f} s of solving per point; statuses {statuses}"
            )


if __name__ == "__main__":
    main()
