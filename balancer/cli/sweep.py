"""``balancer sweep``: solve a scenario at every combination of varied keys."""

from __future__ import annotations

from concurrent.futures import Executor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from balancer.cli.shell import (
    OutFolder,
    Quiet,
    ScenarioArgument,
    app,
    check_out,
    command_line,
    err,
    fail_input,
    out,
)
from balancer.spec.errors import InputError, Problem

if TYPE_CHECKING:
    from balancer.decide import sweep as sweeping


def _dask_executor(address: str, stack: ExitStack) -> Executor:
    """The executor of an existing Dask cluster (needs the optional extra balancer[dask]).

    The client is closed with ``stack``, when the sweep is done.
    """
    try:
        from distributed import Client
    except ImportError:
        fail_input(
            InputError([Problem("--dask", address, "needs Dask", "pip install 'balancer[dask]'")])
        )
        raise AssertionError("unreachable") from None
    try:
        client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        fail_input(InputError([Problem("--dask", address, f"cannot connect: {exc}")]))
        raise AssertionError("unreachable") from None
    stack.callback(client.close)
    return client.get_executor()  # type: ignore[no-untyped-call,no-any-return]


@app.command()
def sweep(
    scenario: ScenarioArgument,
    vary: Annotated[
        list[str],
        typer.Option(
            "--vary", help="KEY=A..B or KEY=v1,v2 (dotted scenario key; repeat for a grid)."
        ),
    ],
    out_dir: OutFolder = Path("out"),
    cache: Annotated[
        Path | None, typer.Option(help="Cache folder (default: <out>/.cache).")
    ] = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Address of a Dask scheduler to run on.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Solve every combination of the varied keys in parallel; write a table and a chart.

    Example: balancer sweep scenarios/sounding-board.yaml --vary board_size=10..14
    """
    from balancer.decide import sweep as sweeping

    check_out(out_dir, "sweep", [scenario])
    varies = [sweeping.parse_vary(v) for v in vary]
    with ExitStack() as stack:
        executor = _dask_executor(dask, stack) if dask else None
        result = _run(scenario, varies, executor, cache or out_dir / ".cache", quiet)
    _write(result, out_dir)


def _run(
    scenario: Path, varies: list[sweeping.Vary], executor: Executor | None, cache: Path, quiet: bool
) -> sweeping.SweepResult:
    """The sweep with its progress lines on stderr (the table goes to stdout)."""
    from balancer.cli.live import live
    from balancer.decide import sweep as sweeping

    with live(err, quiet) as progress:
        return sweeping.run_sweep(
            scenario,
            varies,
            executor=executor,
            cache_dir=cache,
            progress=progress,
            command=command_line(),
        )


def _write(result: sweeping.SweepResult, out_dir: Path) -> None:
    from rich.table import Table

    from balancer.decide import sweep as sweeping
    from balancer.io.files import write_files

    written = write_files(out_dir, sweeping.files(result))
    table = Table(title=f"{result.scenario}: {len(result.results)} points")
    for key in [*result.keys, "status", "largest gap", "total gap"]:
        table.add_column(key)
    for point in result.results[:50]:
        gaps = ["" if v is None else f"{v:.4g}" for v in (point.max_gap, point.total_gap)]
        table.add_row(*[str(point.point[k]) for k in result.keys], point.status, *gaps)
    out.print(table)
    if len(result.results) > 50:
        out.print(f"({len(result.results) - 50} more rows in sweep.csv)")
    counts = ", ".join(f"{n} {s}" for s, n in sweeping.iter_statuses(result))
    out.print(
        f"{counts}; {result.solved} solved, {result.cached} from the cache, "
        f"{result.seconds:.1f} s.",
        markup=False,
    )
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
