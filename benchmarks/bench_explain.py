"""Benchmark: the full explanation as a multiple of the single solve (issue 3).

Run on demand:  python benchmarks/bench_explain.py [--repeat 3]

Cases: the bundled scenario, and a generated 10,000-candidate pool for a 50-seat board with
about 40 rules (quotas, groups, includes, excludes) and, in a second variant, a per-country
cap. Each case is run --repeat times in this one process, side by side, and the medians of
(solve seconds, explanation seconds, ratio) are printed; the machine is shared, so only the
ratio measured in the same run is worth comparing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import balancer
from balancer.io.generate import write_pool_csv

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"

SCENARIO_10K = """
name: Bench 10k / 50 seats
board_size: 50
pool: {pool}
quotas:
  un_region:
    African: {{min: 9}}
    Asia-Pacific: {{min: 9}}
    Eastern European: {{min: 7}}
    Latin American and Caribbean: {{min: 9}}
    Western European and Others: {{min: 8, max: 12}}
  stakeholder_group:
    Civil Society: {{min: 8, max: 12}}
    Private Sector: {{min: 8, max: 12}}
    Technical Community: {{min: 8, max: 12}}
    Government: {{min: 5, max: 10}}
    Academia: {{min: 8, max: 12}}
  gender:
    woman: {{min_share: 0.45}}
    man: {{min_share: 0.40}}
    non-binary: {{max: 3}}
  disability:
    "yes": {{min: 4}}
  sids:
    "yes": {{min: 4}}
groups:
  - name: women from the African Group
    where: {{gender: woman, un_region: African}}
    min: 4
  - name: Global South civil society
    where:
      stakeholder_group: Civil Society
      un_region: [African, Asia-Pacific, Latin American and Caribbean]
    min: 6
  - name: SIDS women
    where: {{sids: "yes", gender: woman}}
    min: 2
  - name: WEOG private sector
    where: {{stakeholder_group: Private Sector, un_region: Western European and Others}}
    max: 3
{caps}
include: [c00010, c00020, c00030, c00040, c00050]
exclude: [c00011, c00021, c00031, c00041, c00051]
targets:
  un_region: equal
  stakeholder_group: equal
  gender: {{woman: 0.5, man: 0.5}}
objective:
  weights: {{un_region: 2}}
seed: 7
"""


def case_files(tmp: Path) -> list[tuple[str, Path]]:
    DATA.mkdir(parents=True, exist_ok=True)
    pool = DATA / "pool-10000.csv"
    if not pool.exists():
        write_pool_csv(pool, 10_000, 7)
    cases = [("bundled sounding board (60 / 11)", ROOT / "scenarios" / "sounding-board.yaml")]
    variants = (("10k / 50, no cap", ""), ("10k / 50, country cap 1", "caps: {country: 1}"))
    for label, caps in variants:
        path = tmp / f"{label.replace(' ', '_').replace('/', '')}.yaml"
        path.write_text(SCENARIO_10K.format(pool=pool, caps=caps), encoding="utf-8")
        cases.append((label, path))
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cases = case_files(Path(folder))
        for label, path in cases:
            solves, explains, rules, totals = [], [], 0, []
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = balancer.select(path)
                totals.append(time.perf_counter() - started)
                assert result.report.explanation is not None, result.status
                solves.append(result.report.timings.solve)
                explains.append(result.report.explanation.seconds)
                rules = len(result.report.constraints)
            solve, explain = statistics.median(solves), statistics.median(explains)
            ratios = [e / s for e, s in zip(explains, solves, strict=True)]
            rows.append((label, rules, solve, explain, statistics.median(ratios), max(totals)))
    print("| case | rules | solve s | explain s | explain / solve (median) | slowest run s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, rules, solve, explain, ratio, slowest in rows:
        print(f"| {label} | {rules} | {solve:.3f} | {explain:.3f} | {ratio:.1f}x | {slowest:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
