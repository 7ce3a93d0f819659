"""``balancer select``: the board, its recount, its explanation and its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    Json,
    OutFolder,
    Quiet,
    ScenarioArgument,
    TimeLimit,
    Workers,
    app,
    check_out,
    command_line,
    err,
    exit_for,
    out,
    print_diagnosis,
    print_json,
)


@app.command()
def select(
    scenario: ScenarioArgument,
    out_dir: OutFolder = Path("out"),
    workers: Workers = None,
    time_limit: TimeLimit = None,
    why_not: Annotated[
        list[str] | None,
        typer.Option(
            "--why-not",
            metavar="ID",
            help="Explain why this candidate is not on the board (repeat).",
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option(help="Price every rule and give every member a reason.")
    ] = True,
    public: Annotated[
        bool,
        typer.Option(
            help="Write only the publishable variant, into --out (without it, the full variant "
            "goes to --out and the publishable one to --out/public)."
        ),
    ] = False,
    alternatives: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", help="Also find the N best distinct boards, in rank order."
        ),
    ] = 0,
    min_difference: Annotated[
        int,
        typer.Option(
            min=1, metavar="N", help="Members by which the alternative boards differ (at least)."
        ),
    ] = 1,
    alternates: Annotated[
        int,
        typer.Option(
            min=0, metavar="M", help="Also list M alternates to call when a member steps down."
        ),
    ] = 0,
    seed_text: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="A public text announced in advance (say, a lottery result of a named day): "
            "the seed becomes its SHA-256, instead of the scenario's seed.",
        ),
    ] = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="Write roster.csv as UTF-8 with a BOM, for Excel.")
    ] = False,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Select the board; write roster.csv, report.json and report.md to --out.

    Example: balancer select scenarios/sounding-board.yaml --out out/
    """
    from balancer.cli.live import live
    from balancer.selection import run as api
    from balancer.selection.report import binding_lines, summary_table

    check_out(out_dir, "select", [scenario])

    def write(result: api.Result) -> list[Path]:
        # One run writes both variants: the convener's in --out, the publishable one in
        # --out/public; --public writes only the publishable one, into --out.
        written = result.write(out_dir, public=public, excel=excel)
        if not public:
            written += result.write(out_dir / "public", public=True, excel=excel)
        return written

    with live(err, quiet) as progress:
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
            seed_text=seed_text,
            progress=progress,
            # The board and its recount are written before the explanation starts.
            on_board=write if explain or alternatives or alternates else None,
        )
    written = write(result)  # again, now with the explanation
    report = result.report
    if as_json:
        print_json(report)
        raise typer.Exit(exit_for(report))
    if report.explanation is not None:
        for line in report.explanation.not_computed:
            err.print(f"not computed: {line}", markup=False)
    for line in binding_lines(report):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
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
