"""``balancer import-sf`` and ``balancer export-sf``: the Sortition Foundation's two-file format.

Import writes a scenario for a features/people pair (the quotas written out, so a convener can
add targets, groups or caps to them); export writes the pair for a scenario, so a panel can be
handed to tools that read only that format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    EXIT_OK,
    OutFolder,
    ScenarioArgument,
    app,
    check_out,
    err,
    fail_input,
    out,
)
from balancer.spec.errors import InputError, Problem


@app.command("import-sf")
def import_sf(
    features: Annotated[Path, typer.Argument(help="Features CSV: feature,value,min,max[,...].")],
    people: Annotated[Path, typer.Argument(help="People CSV: one column per feature.")],
    size: Annotated[int, typer.Option("--size", min=1, help="Panel size.")],
    target: Annotated[Path, typer.Option("--out", help="Scenario YAML to write.")],
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Id column (default id).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Lottery seed recorded in the scenario.")] = 0,
) -> None:
    """Write a scenario for a Sortition Foundation features/people pair.

    Example: balancer import-sf features.csv people.csv --size 30 --out scenario.yaml
    """
    from balancer.decide import exchange
    from balancer.io.files import write_files

    if target.resolve() in (features.resolve(), people.resolve()):
        fail_input(
            InputError(
                [
                    Problem(
                        "--out",
                        str(target),
                        "would overwrite an input file",
                        "give the scenario another name (e.g. scenario.yaml)",
                    )
                ]
            )
        )
    text, notes = exchange.import_pair(
        features, people, size=size, target=target, id_column=id_column, seed=seed
    )
    [written] = write_files(target.parent, {target.name: text})
    out.print(f"Wrote {written}", markup=False)
    for note in notes:
        out.print(note, markup=False)
    raise typer.Exit(EXIT_OK)


@app.command("export-sf")
def export_sf(
    scenario: ScenarioArgument,
    out_dir: OutFolder,
) -> None:
    """Write a scenario's quotas and pool as a Sortition Foundation features/people pair.

    Example: balancer export-sf scenarios/sounding-board.yaml --out sf/
    """
    from balancer.decide import exchange
    from balancer.io.files import write_files

    check_out(out_dir, "export-sf", [scenario])
    files, lost = exchange.export_pair(scenario)
    for line in lost:
        err.print(f"warning: {scenario}: {line}", markup=False)
    written = write_files(out_dir, files)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    raise typer.Exit(EXIT_OK)
