"""``balancer lottery``: the fairest distribution over allowed boards, and its public draw."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from balancer.cli.shell import (
    OutFolder,
    Quiet,
    ScenarioArgument,
    Workers,
    app,
    check_out,
    command_line,
    err,
    exit_code,
    out,
)


@app.command()
def lottery(
    scenario: ScenarioArgument,
    rule: Annotated[str, typer.Option(help="leximin (default), maximin or nash.")] = "leximin",
    max_gap_excess: Annotated[
        float | None,
        typer.Option(min=0, help="Only boards within X seats of the best largest and total gap."),
    ] = None,
    boards: Annotated[int, typer.Option(min=1, help="Boards in the published lottery.")] = 1000,
    out_dir: OutFolder = Path("out"),
    draw: Annotated[int | None, typer.Option(help="Draw this board number (1..boards).")] = None,
    seed_text: Annotated[
        str | None, typer.Option(help="Draw the board SHA-256 of this public text picks.")
    ] = None,
    workers: Workers = None,
    quiet: Quiet = False,
    public: Annotated[
        bool,
        typer.Option(
            help="Write only the files meant for publication (into --out); without it the "
            "full files go to --out and the public ones to --out/public."
        ),
    ] = False,
) -> None:
    """Select by fair lottery: probabilities, the M published boards, and optionally the draw.

    Example: balancer lottery scenarios/sounding-board.yaml --boards 1000 --out lottery/
    """
    if rule not in ("leximin", "maximin", "nash"):
        raise typer.BadParameter(f"--rule must be leximin, maximin or nash, not {rule!r}")
    chosen: Literal["leximin", "maximin", "nash"] = rule  # type: ignore[assignment]
    from balancer.cli.live import live
    from balancer.fair.columns import NoBoard
    from balancer.fair.draw import BOARDS_FILE, board_number
    from balancer.fair.run import run_lottery

    check_out(out_dir, "lottery", [scenario])
    try:
        with live(err, quiet) as progress:
            result = run_lottery(
                scenario,
                rule=chosen,
                max_gap_excess=max_gap_excess,
                boards=boards,
                workers=workers,
                progress=progress,
                command=command_line(),
            )
    except NoBoard as error:
        err.print(f"No board can meet every criterion ({error}); run `balancer validate`.")
        raise typer.Exit(exit_code(error)) from None
    written = result.write(out_dir, public=public, seed_text=seed_text, draw=draw)
    if not public:
        written += result.write(out_dir / "public", public=True, seed_text=seed_text, draw=draw)
    record = result.record
    out.print(
        f"{record.rule}: minimum probability {record.exact.minimum:.6f}, geometric mean "
        f"{record.exact.geometric_mean:.6f}, Gini {record.exact.gini:.4f}, "
        f"{record.exact.share_below_fair:.1%} below {record.exact.fair_share:.4f}; "
        f"{len(record.support)} boards in the support ({record.seconds:.2f} s).",
        markup=False,
    )
    out.print(
        f"Rounded to {record.boards} boards: worst loss {record.rounding_worst_loss:.6f} "
        f"(bound {record.rounding_bound:.6f}).",
        markup=False,
    )
    out.print(
        f"Commitment: publish the SHA-256 of {BOARDS_FILE}, {record.boards_sha256}, before the "
        "seed text is known; `balancer verify --boards-sha256` checks the list against it.",
        markup=False,
    )
    for cid, why in list(record.unreachable.items())[:20]:
        out.print(f"probability 0: {cid}: {why}", markup=False)
    if draw is not None or seed_text is not None:
        number = draw if draw is not None else board_number(seed_text or "", boards)
        if not 1 <= number <= boards:
            raise typer.BadParameter(f"--draw must be 1..{boards}")
        ids = [str(i) for i in result.problem.ids]
        members = [ids[r] for r in result.rounded.boards[number - 1]]
        out.print(f"Board {number}: " + ", ".join(members), markup=False)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
