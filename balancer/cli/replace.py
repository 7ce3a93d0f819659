"""``balancer replace``: members withdraw; the best replacements keep every other member."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    EXIT_INFEASIBLE,
    OutFolder,
    Quiet,
    ScenarioOption,
    Workers,
    app,
    check_out,
    command_line,
    err,
    out,
)


@app.command()
def replace(
    roster: Annotated[
        Path,
        typer.Argument(metavar="ROSTER.csv", help="The board's roster CSV (ids in the id column)."),
    ],
    scenario: ScenarioOption,
    drop: Annotated[
        list[str],
        typer.Option("--drop", metavar="ID", help="Id of a member who withdraws (repeat)."),
    ],
    out_dir: OutFolder = Path("out"),
    workers: Workers = None,
    quiet: Quiet = False,
) -> None:
    """Replace withdrawn members; write roster.csv and replacement.{json,md,html}.

    Example: balancer replace out/roster.csv --scenario s.yaml --drop P0042
    """
    from balancer.cli.live import live
    from balancer.decide import replace as replacing
    from balancer.io.files import load_scenario, write_files

    check_out(out_dir, "replace", [scenario], [roster])
    with live(err, quiet) as progress:
        result = replacing.replace(
            load_scenario(scenario),
            roster,
            drop,
            workers=workers,
            command=command_line(),
            progress=progress,
        )
    written = write_files(out_dir, result.files())
    out.print(replacing.terminal(result.replacement), markup=False)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    if result.replacement.status != "replaced":
        err.print("No replacement keeps every rule (see above).", markup=False)
        raise typer.Exit(EXIT_INFEASIBLE)
