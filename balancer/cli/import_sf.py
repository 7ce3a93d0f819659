"""``balancer import-sf`` and ``balancer export-sf``: the Sortition Foundation's two-file format.

Import writes a scenario for a features/people pair (the quotas written out, so a convener can
add targets, groups or caps to them); export writes the pair for a scenario, so a panel can be
handed to tools that read only that format.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from balancer.cli.shell import EXIT_OK, app, check_out, err, fail_input, out
from balancer.spec.errors import InputError, Problem

if TYPE_CHECKING:
    from balancer.io.files import Pool
    from balancer.io.formats.sortition_foundation import Quotas


def import_pair(
    features: Path, people: Path, *, size: int, target: Path, id_column: str | None, seed: int
) -> tuple[str, list[str]]:
    """The scenario text for a pair, after checking it as :command:`balancer validate` would,
    and what the user should know about it (the flex, if any)."""
    from balancer.engine.load import prepare
    from balancer.io.files import parse_scenario_text, read_pool
    from balancer.io.formats import sortition_foundation as sf

    table = sf.read_feature_table(features)
    quotas = table.quotas
    limits = table.relax_limits(size)
    notes = []
    if limits:
        notes.append(
            f"min_flex/max_flex of {len(table.flex)} feature value(s) written as relax_limits "
            f"({len(limits)} rule(s)): the smallest fix of an infeasible panel lowers a min "
            "no further than its min_flex and raises a max no further than its max_flex"
        )
    pool = read_pool(people, id_column=id_column or _id_column(people))
    unlisted = _unlisted_values(pool, quotas, features)
    if unlisted:
        raise InputError(unlisted)
    relative = os.path.relpath(people.resolve(), target.resolve().parent)
    text = sf.scenario_yaml(
        name=f"{features.stem} ({people.name})",
        board_size=size,
        pool=Path(relative).as_posix(),
        id_column=pool.id_column,
        quotas=quotas,
        seed=seed,
        relax_limits=limits,
    )
    scenario = parse_scenario_text(text, source=str(target))
    prepare(scenario, pool, source=str(features))  # every mismatch, before writing
    return text, notes


def _unlisted_values(pool: Pool, quotas: Quotas, features: Path) -> list[Problem]:
    """People whose value of a feature the features file does not list.

    The Sortition Foundation's tools refuse such a person; balancer would quietly leave their
    value unconstrained, so the imported panel would not be the one the pair describes. The
    column itself missing is left to the scenario check, which names it with a did-you-mean.
    """
    problems = []
    for feature, values in quotas.items():
        if feature not in pool.table.columns:
            continue
        cells = pool.table[feature].to_numpy(dtype=object)
        unlisted = {str(c) for c in cells if c not in values and c != ""}  # empty: checked later
        for value in sorted(unlisted):
            rows = [i for i, c in enumerate(cells) if c == value]
            where = ", ".join(pool.row_label(i) for i in rows[:3])
            more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
            problems.append(
                Problem(
                    str(pool.path or "people"),
                    f"column '{feature}'",
                    f"has the value '{value}' ({where}{more}), which {features.name} does not "
                    f"list for {feature}",
                    f"add a row '{feature},{value},MIN,MAX' to {features.name}, or correct "
                    "those cells",
                )
            )
    return problems


def _id_column(people: Path) -> str:
    """``id`` if the people file has it, else the Sortition Foundation's ``nationbuilder_id``."""
    from balancer.io.formats import text as text_format

    decoded = text_format.decode(people.read_bytes(), str(people)) if people.is_file() else None
    first = decoded.text.split("\n", 1)[0] if decoded else ""
    header = [h.strip().strip('"') for h in first.split(decoded.delimiter if decoded else ",")]
    return "nationbuilder_id" if "id" not in header and "nationbuilder_id" in header else "id"


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
    text, notes = import_pair(
        features, people, size=size, target=target, id_column=id_column, seed=seed
    )
    [written] = write_files(target.parent, {target.name: text})
    out.print(f"Wrote {written}", markup=False)
    for note in notes:
        out.print(note, markup=False)
    raise typer.Exit(EXIT_OK)


def export_pair(scenario_path: Path) -> tuple[dict[str, str], list[str]]:
    """features.csv and people.csv for a scenario, and what the format cannot say."""
    from balancer.engine.load import prepare
    from balancer.engine.problem import seats_from_bounds
    from balancer.io.files import safe_csv
    from balancer.io.formats import sortition_foundation as sf

    problem, _ = prepare(scenario_path)
    s = problem.scenario
    lost = [
        f"{key} is not part of the format and is left out"
        for key in ("groups", "caps", "targets", "include", "exclude")
        if getattr(s, key)
    ]
    bounds: dict[str, dict[str, tuple[int, int]]] = {}
    table = problem.pool.table
    for column, values in s.quotas.items():
        seats = {v.strip(): seats_from_bounds(b, s.board_size) for v, b in values.items()}
        present = sorted(str(v) for v in table[column].unique())
        # The format lists every value a person may have; unlisted ones are unbounded.
        bounds[column] = {v: seats.get(v, (0, s.board_size)) for v in present}
        bounds[column].update({v: b for v, b in seats.items() if v not in bounds[column]})
    people = table[[problem.pool.id_column, *[c for c in bounds if c != problem.pool.id_column]]]
    files = {"features.csv": sf.features_csv(bounds), "people.csv": safe_csv(people)}
    return files, lost


@app.command("export-sf")
def export_sf(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the two files.")],
) -> None:
    """Write a scenario's quotas and pool as a Sortition Foundation features/people pair.

    Example: balancer export-sf scenarios/sounding-board.yaml --out sf/
    """
    from balancer.io.files import write_files

    check_out(out_dir, "export-sf", [scenario])
    files, lost = export_pair(scenario)
    for line in lost:
        err.print(f"warning: {scenario}: {line}", markup=False)
    written = write_files(out_dir, files)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    raise typer.Exit(EXIT_OK)
