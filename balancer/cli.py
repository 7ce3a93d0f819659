"""The ``balancer`` command: a thin shell over :mod:`balancer.api`.

Exit codes: 0 success, 2 bad input (nothing written), 3 no board is possible (the diagnosis is
written), 4 the time limit ended the search before any board was found, 1 an internal error.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from balancer import api, commands
from balancer.errors import InputError, Problem
from balancer.report import Report, summary_table, versions

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_ANSWER = 0, 1, 2, 3, 4

app = typer.Typer(
    help=(
        "Select a balanced board from a candidate pool: every quota met, representational gaps "
        "as small as possible, provably, and the same board on every run.\n\n"
        "Example:  balancer select scenarios/sounding-board.yaml --out out/"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        balancer_version, solver_version = versions()
        out.print(f"balancer {balancer_version} (OR-Tools CP-SAT {solver_version})")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """balancer: provably optimal, reproducible, explained board selection."""


def fail_input(error: InputError) -> None:
    for problem in error.problems:
        err.print(f"error: {problem}", markup=False)
    count = len(error.problems)
    err.print(f"{count} problem{'s' * (count != 1)} found; nothing was written.", markup=False)
    raise typer.Exit(EXIT_INPUT)


def _positive_seconds(value: float | None) -> float | None:
    if value is not None and not value > 0:  # also refuses nan
        raise typer.BadParameter(f"{value} is not a number of seconds above 0")
    return value


def _out_folder(folder: Path) -> None:
    """Refuse an --out that cannot be a folder before solving, rather than after.

    Found only when writing, it would cost the whole solve and end as an internal error.
    """
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                where = "is a file" if path == folder else f"is inside {path}, a file"
                fail_input(
                    InputError(
                        [Problem("--out", str(folder), where, "give a folder for the outputs")]
                    )
                )
            return


def command_line() -> str:
    return "balancer " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def exit_for(report: Report) -> int:
    return {
        "optimal": EXIT_OK,
        "feasible": EXIT_OK,
        "infeasible": EXIT_INFEASIBLE,
        "unknown": EXIT_NO_ANSWER,
    }[report.status]


def print_diagnosis(report: Report) -> None:
    if report.diagnosis is None:
        return
    err.print("No board can meet every criterion.", markup=False)
    for line in report.diagnosis.shortages:
        err.print(f"  shortage: {line}", markup=False)
    for number, conflict in enumerate(report.diagnosis.conflicts, start=1):
        err.print(f"  conflict {number}: " + " + ".join(conflict.sentences), markup=False)


@app.command()
def select(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")] = Path("out"),
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Solver threads (the board is the same for any number)."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            callback=_positive_seconds,
            help="Seconds; without it the solver runs to proven optimum.",
        ),
    ] = None,
    why_not: Annotated[
        list[str] | None,
        typer.Option("--why-not", help="Explain why this candidate is not on the board (repeat)."),
    ] = None,
    explain: Annotated[
        bool, typer.Option(help="Price every rule and give every member a reason.")
    ] = True,
    public: Annotated[
        bool,
        typer.Option(help="Write the publishable variant: sensitive columns only as totals."),
    ] = False,
    alternatives: Annotated[
        int, typer.Option(min=0, help="Also find the N best distinct boards, in rank order.")
    ] = 0,
    min_difference: Annotated[
        int, typer.Option(min=1, help="Members by which the alternative boards differ (at least).")
    ] = 1,
    alternates: Annotated[
        int, typer.Option(min=0, help="Also list M alternates to call when a member steps down.")
    ] = 0,
    excel: Annotated[
        bool, typer.Option("--excel", help="Write roster.csv as UTF-8 with a BOM, for Excel.")
    ] = False,
) -> None:
    """Select the board; write roster.csv, report.json and report.md to --out."""
    _out_folder(out_dir)
    try:
        result = api.select(
            scenario,
            workers=workers,
            time_limit=time_limit,
            command=command_line(),
            explain_board=explain,
            why_not=why_not or [],
            alternatives=alternatives,
            min_difference=min_difference,
            alternates=alternates,
        )
    except InputError as error:
        fail_input(error)
        return
    written = result.write(out_dir, public=public, excel=excel)
    report = result.report
    out.print(summary_table(report))
    if report.objective is not None:
        out.print(
            f"Largest gap {report.objective.max_gap:.4g} seats, total gap "
            f"{report.objective.total_gap:.4g} seats; "
            f"{'unique optimum' if report.unique else 'optimum'} "
            f"({report.timings.total:.2f} s)."
        )
    print_diagnosis(report)
    if report.status == "feasible":
        err.print("The time limit ended the search: this board is not proven optimal.")
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    raise typer.Exit(exit_for(report))


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
) -> None:
    """Check a scenario and its pool, show the pool against the quotas, and test feasibility."""
    try:
        result = api.validate(scenario)
    except InputError as error:
        fail_input(error)
        return
    report = result.report
    out.print(summary_table(report))
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)
    if report.status == "infeasible":
        print_diagnosis(report)
        raise typer.Exit(EXIT_INFEASIBLE)
    out.print(
        f"OK: {report.provenance.candidates} candidates in {report.provenance.profiles} profiles; "
        "a board meeting every criterion exists."
    )


@app.command("generate-pool")
def generate_pool(
    size: Annotated[int, typer.Option(min=1, help="Number of candidates.")],
    output: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a synthetic pool (fictional people) for tests and benchmarks."""
    from balancer.generate import generate_pool as make
    from balancer.io import write_files

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


@app.command()
def schema() -> None:
    """Print the JSON schema of report.json."""
    out.print_json(json.dumps(Report.model_json_schema()))


def main() -> None:
    """Entry point: no traceback reaches a convener unless BALANCER_DEBUG is set."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # the last line of defence, by design
        if os.environ.get("BALANCER_DEBUG"):
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc}. Please report it with the inputs; "
            "set BALANCER_DEBUG=1 to see the details.",
            markup=False,
        )
        sys.exit(EXIT_INTERNAL)


# Commands defined in balancer/commands/ register themselves on ``app`` when imported.
commands.load()
