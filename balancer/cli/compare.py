"""``balancer compare``: boards side by side (scenarios solved now, or rosters)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import _out_folder, app, command_line, fail_input, out
from balancer.spec.errors import InputError


@app.command()
def compare(
    boards: Annotated[
        list[str], typer.Argument(help="Scenario YAML files, or ROSTER.csv@SCENARIO.yaml.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")] = Path("out"),
    workers: Annotated[int | None, typer.Option(min=1, help="Solver threads.")] = None,
) -> None:
    """Compare boards: composition, gaps, rules and members; write compare.{json,md,html}."""
    from balancer.decide import compare as comparing
    from balancer.io.files import write_files

    _out_folder(out_dir)
    try:
        comparison = comparing.compare_arguments(boards, workers=workers, command=command_line())
    except InputError as error:
        fail_input(error)
        return
    out.print(comparing.terminal(comparison))
    written = write_files(out_dir, comparing.files(comparison))
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
