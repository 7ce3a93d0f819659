"""``balancer replace``: members withdraw; the best replacements keep every other member."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    EXIT_INFEASIBLE,
    _out_folder,
    app,
    command_line,
    err,
    fail_input,
    out,
)
from balancer.spec.errors import InputError


@app.command()
def replace(
    roster: Annotated[Path, typer.Argument(help="The board's roster CSV (ids in the id column).")],
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario YAML file.")],
    drop: Annotated[
        list[str], typer.Option("--drop", help="Id of a member who withdraws (repeat).")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")] = Path("out"),
    workers: Annotated[int | None, typer.Option(min=1, help="Solver threads.")] = None,
) -> None:
    """Replace withdrawn members; write roster.csv and replacement.{json,md,html}."""
    from balancer.decide import replace as replacing
    from balancer.io.files import load_scenario, write_files

    _out_folder(out_dir)
    try:
        result = replacing.replace(
            load_scenario(scenario), roster, drop, workers=workers, command=command_line()
        )
    except InputError as error:
        fail_input(error)
        return
    written = write_files(out_dir, result.files())
    out.print(replacing.terminal(result.replacement), markup=False)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    if result.replacement.status != "replaced":
        err.print("No replacement keeps every rule (see above).", markup=False)
        raise typer.Exit(EXIT_INFEASIBLE)
