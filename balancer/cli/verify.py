"""``balancer verify``: re-derive the drawn board from the published lottery files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import EXIT_INFEASIBLE, EXIT_INPUT, app, err, exit_code, out


@app.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument(help="Folder written by `balancer lottery`.")],
    draw: Annotated[int | None, typer.Option(help="The drawn board number (1..boards).")] = None,
    seed_text: Annotated[
        str | None, typer.Option(help="The public text; its SHA-256 picks the board.")
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option(help="Also check every board against this scenario's rules.")
    ] = None,
    boards_sha256: Annotated[
        str | None,
        typer.Option(
            help="The SHA-256 of boards.csv published before the seed text was known: the "
            "list must be that one."
        ),
    ] = None,
) -> None:
    """Check the published boards (exit 3 if tampered) and print the drawn board.

    Example: balancer verify lottery/public --seed-text "the published text"
    """
    from balancer.engine.load import prepare
    from balancer.fair.draw import BOARDS_FILE, TamperedError, board_number, read_boards, verify
    from balancer.fair.run import rule_violations

    if (draw is None) == (seed_text is None):
        err.print("give exactly one of --draw N or --seed-text TEXT")
        raise typer.Exit(EXIT_INPUT)
    try:
        boards = read_boards((folder / BOARDS_FILE).read_text("utf-8"))
        number = draw if draw is not None else board_number(seed_text or "", len(boards))
        members = verify(folder, number, committed=boards_sha256)
    except TamperedError as error:
        err.print(f"tampered: {error}", markup=False)
        raise typer.Exit(exit_code(error)) from None
    except (OSError, ValueError, KeyError) as error:
        err.print(f"error: cannot read the lottery in {folder}: {error}", markup=False)
        raise typer.Exit(EXIT_INPUT) from None
    if scenario is not None:
        problem, _ = prepare(scenario)
        for n, board in boards.items():
            broken = rule_violations(problem, board)
            if broken:
                err.print(f"tampered: board {n} breaks: " + "; ".join(broken), markup=False)
                raise typer.Exit(EXIT_INFEASIBLE)
    out.print(f"The published list checks out. Board {number}: " + ", ".join(members), markup=False)
