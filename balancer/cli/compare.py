"""``balancer compare``: boards side by side (scenarios solved now, or rosters)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    Json,
    OutFolder,
    Quiet,
    Workers,
    app,
    check_out,
    command_line,
    err,
    out,
    print_json,
)


@app.command()
def compare(
    boards: Annotated[
        list[str],
        typer.Argument(
            metavar="SCENARIO.yaml|ROSTER.csv@SCENARIO.yaml...",
            help="Scenario YAML files, or ROSTER.csv@SCENARIO.yaml.",
        ),
    ],
    out_dir: OutFolder = Path("out"),
    workers: Workers = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Compare boards: composition, gaps, rules and members; write compare.{json,md,html}.

    Example: balancer compare a.yaml b.yaml out/roster.csv@a.yaml
    """
    from balancer.cli.live import live
    from balancer.decide import compare as comparing
    from balancer.io.files import write_files

    scenarios, rosters = [], []
    for board in boards:  # SCENARIO.yaml or ROSTER.csv@SCENARIO.yaml
        roster, at, scenario = board.rpartition("@")
        scenarios.append(Path(scenario))
        rosters += [Path(roster)] if at else []
    check_out(out_dir, "compare", scenarios, rosters)
    with live(err, quiet) as progress:
        comparison = comparing.compare_arguments(
            boards, workers=workers, command=command_line(), progress=progress
        )
    written = write_files(out_dir, comparing.files(comparison))
    if as_json:
        print_json(comparison)
        return
    out.print(comparing.terminal(comparison))
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
