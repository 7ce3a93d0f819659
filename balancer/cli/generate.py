"""``balancer generate-pool``: a synthetic pool of fictional people."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import _out_folder, app, fail_input, out
from balancer.spec.errors import InputError, Problem


@app.command("generate-pool")
def generate_pool(
    size: Annotated[int, typer.Option(min=1, help="Number of candidates.")],
    output: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a synthetic pool (fictional people) for tests and benchmarks.

    Example: balancer generate-pool --size 500 --out pool.csv
    """
    from balancer.io.files import write_files
    from balancer.io.generate import generate_pool as make

    if output.is_dir():
        fail_input(
            InputError([Problem("--out", str(output), "is a folder", "give a file name (.csv)")])
        )
    _out_folder(output.parent)
    frame = make(size, seed)
    write_files(
        output.parent if str(output.parent) else Path("."), {output.name: frame.to_csv(index=False)}
    )
    out.print(f"Wrote {size} candidates to {output}", markup=False)
