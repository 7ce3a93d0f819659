"""``balancer validate``: the scenario and pool checked, and whether any board exists."""

from __future__ import annotations

import typer

from balancer.cli.shell import (
    EXIT_INFEASIBLE,
    Json,
    Quiet,
    ScenarioArgument,
    app,
    err,
    exit_for,
    out,
    print_diagnosis,
    print_json,
)


@app.command()
def validate(
    scenario: ScenarioArgument,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Check a scenario and its pool, show the pool against the quotas, and test feasibility.

    Example: balancer validate scenarios/sounding-board.yaml
    """
    from balancer.cli.live import live
    from balancer.selection import run as api
    from balancer.selection.report import summary_table, supply_table

    with live(err, quiet) as progress:
        result = api.validate(scenario, progress=progress)
    report = result.report
    if as_json:
        print_json(report)
        raise typer.Exit(exit_for(report))
    out.print(summary_table(report))
    out.print(supply_table(report))
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False)
    if report.status == "infeasible":
        print_diagnosis(report)
        raise typer.Exit(EXIT_INFEASIBLE)
    out.print(
        f"OK: {report.provenance.candidates} candidates in {report.provenance.profiles} profiles; "
        "a board meeting every criterion exists."
    )
