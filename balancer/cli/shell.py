"""The ``balancer`` command: a thin shell over :mod:`balancer.selection.run`.

Exit codes come from one table, :data:`EXIT_CODES`, keyed by the outcome's stable code (a
:class:`balancer.spec.outcomes.SolveStatus` or a :class:`balancer.spec.errors.BalancerError`
code): 0 success, 2 bad input (nothing written), 3 no board is possible (the diagnosis is
written) or the published files were tampered with, 4 the time limit ended the search before
any board was found, 1 an internal error (a solver failure included).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
import typer.core
from rich.console import Console
from typer import _click  # the click typer vendors, whose Context invoke takes

from balancer.spec.errors import BalancerError, InputError, Problem

if TYPE_CHECKING:
    from pydantic import BaseModel

    from balancer.selection.report import Report

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_ANSWER = 0, 1, 2, 3, 4

EXIT_CODES: dict[str, int] = {
    # how a solve ended (SolveStatus values)
    "optimal": EXIT_OK,
    "feasible": EXIT_OK,
    "infeasible": EXIT_INFEASIBLE,
    "unknown": EXIT_NO_ANSWER,
    # BalancerError codes
    "input": EXIT_INPUT,
    "tampered": EXIT_INFEASIBLE,
    "solver": EXIT_INTERNAL,
    "error": EXIT_INTERNAL,
}
"""The one mapping from an outcome's code to the process's exit status."""


def exit_code(outcome: str | BalancerError) -> int:
    """The exit status for a status word (``optimal``, ...) or a balancer error."""
    code = outcome.code if isinstance(outcome, BalancerError) else str(outcome)
    return EXIT_CODES[code]


class _Commands(typer.core.TyperGroup):
    """The command group: one place turns a library error into its lines and exit code.

    Commands call the library and let its errors rise. Bad input (an :class:`InputError`,
    which may hold many problems) prints every problem, one line each, and exits 2 with
    nothing written; any other :class:`BalancerError` prints its code and sentence and exits
    with its code. Caught here rather than in :func:`balancer.cli.main`, so tests driving
    the app see the same lines and codes as a convener.
    """

    def invoke(self, ctx: _click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InputError as error:
            fail_input(error)
        except BalancerError as error:
            err.print(f"{error.code}: {error.message}", markup=False)
            raise typer.Exit(exit_code(error)) from None


app = typer.Typer(
    cls=_Commands,
    help=(
        "Select a balanced board from a candidate pool: every quota met, representational gaps "
        "as small as possible, provably, and the same board on every run.\n\n"
        "Example:  balancer select scenarios/sounding-board.yaml --out out/"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: typer's rich help imports markdown and costs ~0.1 s CPU
)
out = Console()
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        from balancer.cli.version import version_line

        out.print(version_line(), markup=False, highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """balancer: provably optimal, reproducible, explained board selection."""


def fail_input(error: InputError) -> NoReturn:
    for problem in error.problems:
        err.print(f"error: {problem}", markup=False)
    count = len(error.problems)
    err.print(f"{count} problem{'s' * (count != 1)} found; nothing was written.", markup=False)
    raise typer.Exit(exit_code(error))


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


# The files each command writes into --out (and, for select and lottery, --out/public).
WRITES: dict[str, tuple[str, ...]] = {
    "select": ("report.json", "report.md", "report.html", "roster.csv"),
    "check": ("report.json", "report.md", "report.html"),
    "replace": ("replacement.json", "replacement.md", "replacement.html", "roster.csv"),
    "compare": ("compare.json", "compare.md", "compare.html"),
    "sweep": ("sweep.csv", "sweep.md", "sweep.json", "sweep.svg", "sweep.html"),
    "lottery": (
        "probabilities.csv",
        "boards.csv",
        "lottery.json",
        "profiles.csv",
        "lottery.html",
        "lottery.md",
    ),
    "criteria": ("criteria.html", "criteria.md", "criteria.json", "commitment.json"),
    "export-sf": ("features.csv", "people.csv"),
}


def scenario_inputs(scenario: Path) -> list[Path]:
    """The scenario file and every file it reads: pool, countries: table, quotas: features.

    Read from the YAML as typed (not validated): a scenario that fails validation is reported
    by the command itself, and its pool must still be safe from the outputs.
    """
    from balancer.io.files import scenario_mapping

    inputs = [scenario]
    if not scenario.is_file():  # missing, a folder or a pipe: the command itself says so
        return inputs
    try:
        raw = scenario_mapping(scenario.read_text("utf-8-sig"), source=str(scenario))
    except (OSError, UnicodeDecodeError, InputError):
        return inputs
    pool = raw.get("pool")
    if isinstance(pool, dict):
        pool = pool.get("path")
    for named in (pool, raw.get("countries"), raw.get("quotas")):
        if isinstance(named, str) and named:
            inputs.append(scenario.parent / named)
    return inputs


def refuse_overwrite(
    folder: Path, command: str, inputs: Iterable[Path], *, public: bool = True
) -> None:
    """Refuse, before any work, an --out where an output would replace one of the inputs.

    A pool named roster.csv in the --out folder would otherwise be overwritten by the roster,
    and the convener's only copy of the nominations lost. ``public`` adds --out/public, where
    select and lottery write the publishable variant.
    """
    folders = [folder, folder / "public"] if public else [folder]
    targets = {
        (place / name).resolve(): place / name for place in folders for name in WRITES[command]
    }
    for given in inputs:
        target = targets.get(given.resolve())
        if target is not None:
            fail_input(
                InputError(
                    [
                        Problem(
                            "--out",
                            str(folder),
                            f"writing {target} would overwrite the input {given}",
                            "give another --out folder (or move the input)",
                        )
                    ]
                )
            )


def check_out(
    folder: Path, command: str, scenarios: Iterable[Path] = (), others: Iterable[Path] = ()
) -> None:
    """:func:`_out_folder` and :func:`refuse_overwrite` for a command's scenarios and files."""
    _out_folder(folder)
    inputs = [*others]
    for scenario in scenarios:
        inputs += scenario_inputs(scenario)
    refuse_overwrite(folder, command, inputs, public=command in ("select", "lottery"))


def command_line() -> str:
    """The command as typed, for the provenance block, without the convener's own disk.

    An absolute path (``/home/ana/nominations/pool.csv``) would publish a user name and a
    folder layout in every document; it is recorded relative to the working folder when it
    lies inside it, and by its file name otherwise. Relative paths are kept as typed.
    """
    return "balancer " + " ".join(shlex.quote(_unrooted(a)) for a in sys.argv[1:])


def _unrooted(argument: str) -> str:
    option, equals, value = argument.partition("=") if argument.startswith("--") else ("", "", "")
    if equals:
        return f"{option}={_unrooted(value)}"
    if not Path(argument).is_absolute():
        return argument
    path = Path(argument)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def exit_for(report: Report) -> int:
    return exit_code(report.status)


def print_diagnosis(report: Report) -> None:
    if report.diagnosis is None:
        return
    err.print("No board can meet every criterion.", markup=False)
    for line in report.diagnosis.shortages:
        err.print(f"  shortage: {line}", markup=False)
    if report.diagnosis.conflicts_sentence:
        err.print(f"  {report.diagnosis.conflicts_sentence}", markup=False)
    for number, conflict in enumerate(report.diagnosis.conflicts, start=1):
        err.print(f"  conflict {number}: " + " + ".join(conflict.sentences), markup=False)


# ---------------------------------------------------------------------------------------------
# The options every command shares, defined once (metavars that read as words)
# ---------------------------------------------------------------------------------------------

OutFolder = Annotated[Path, typer.Option("--out", metavar="FOLDER", help="Folder for the outputs.")]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="Solver threads (the result is the same for any number).",
    ),
]
TimeLimit = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        metavar="SECONDS",
        callback=_positive_seconds,
        help="Wall-clock seconds; without it the solver runs to proven optimum. The only limit "
        "that depends on the machine's speed, and only when you set it.",
    ),
]
Json = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the document (as in the JSON file) to stdout, nothing else."
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on the terminal.")]
ScenarioArgument = Annotated[
    Path, typer.Argument(metavar="SCENARIO.yaml", help="Scenario YAML file.")
]
ScenarioOption = Annotated[
    Path, typer.Option("--scenario", metavar="SCENARIO.yaml", help="Scenario YAML file.")
]


def print_json(document: BaseModel) -> None:
    """The library's document on stdout, exactly as its JSON file holds it."""
    sys.stdout.write(document.model_dump_json(indent=2) + "\n")
