"""``balancer check``: audit a board made by hand (or last year's) against a scenario.

Exit codes: 0 no constraint is known to be violated (those 'unknown' cells leave open are
listed apart), 3 some are violated (the report says by how many
seats, and the fewest swaps that fix them), 2 bad input (nothing written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    EXIT_INFEASIBLE,
    EXIT_OK,
    Json,
    OutFolder,
    Quiet,
    ScenarioOption,
    Workers,
    app,
    check_out,
    command_line,
    err,
    out,
    print_json,
)


@app.command()
def check(
    roster: Annotated[
        Path,
        typer.Argument(metavar="ROSTER.csv", help="The board to audit: a CSV, one row per member."),
    ],
    scenario: ScenarioOption,
    out_dir: OutFolder = Path("out"),
    workers: Workers = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Audit a board: every constraint met or missed, gaps, distance to the optimum, fixes.

    Example: balancer check scenarios/wsis20/members.csv --scenario scenarios/wsis20/audit.yaml
    """
    from balancer.cli.live import live
    from balancer.decide import audit
    from balancer.io.files import write_files

    check_out(out_dir, "check", [scenario], [roster])
    with live(err, quiet) as progress:
        report = audit.audit(
            roster, scenario, workers=workers, command=command_line(), progress=progress
        )
    written = write_files(out_dir, audit.files(report))
    # Constraints the unknown cells leave open are listed apart, not counted as misses.
    code = EXIT_OK if report.violated == 0 else EXIT_INFEASIBLE
    if as_json:
        print_json(report)
        raise typer.Exit(code)
    for line in audit.summary_lines(report):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    raise typer.Exit(code)
