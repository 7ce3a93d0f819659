"""``balancer app``: the local web application (:mod:`balancer.app`) on this computer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import EXIT_INPUT, app, err, out


@app.command("app")
def web_app(
    workspace: Annotated[
        Path, typer.Option("--workspace", help="Folder for pools, scenarios and outputs.")
    ] = Path("balancer-workspace"),
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Copy this scenario and its pool into the workspace."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8765,
    allow_network: Annotated[
        bool,
        typer.Option(
            "--allow-network",
            help="Needed to listen on an address other computers can reach.",
        ),
    ] = False,
    browser: Annotated[bool, typer.Option(help="Open the page in the web browser.")] = True,
) -> None:
    """Start the convener's desk: a local web page over the same engine (Ctrl+C stops it)."""
    try:
        from balancer.app.security import is_loopback
        from balancer.app.serve import serve
    except ImportError as exc:  # the app's extra is not installed
        err.print(
            f"error: the web app needs its extra packages ({exc.name}); "
            "install them with: pip install 'balancer[app]'",
            markup=False,
        )
        raise typer.Exit(EXIT_INPUT) from None
    if not is_loopback(host):
        if not allow_network:
            err.print(
                f"error: --host {host} would let other computers reach the pool; "
                "add --allow-network if that is really meant",
                markup=False,
            )
            raise typer.Exit(EXIT_INPUT)
        err.print(
            f"warning: listening on {host}: anyone who can reach this address and has the "
            "link can see the pool. Prefer the default 127.0.0.1.",
            markup=False,
        )
    if scenario is not None and not scenario.is_file():
        err.print(f"error: {scenario}: scenario file not found; check the path", markup=False)
        raise typer.Exit(EXIT_INPUT)

    def say(line: str) -> None:
        out.print(line, markup=False, soft_wrap=True)  # the address must stay one line

    serve(workspace, scenario=scenario, host=host, port=port, browser=browser, say=say)
