"""The ``balancer`` command: a thin shell over :mod:`balancer.api`, one module per command.

Every module here registers its typer commands on :data:`balancer.cli.shell.app` when imported;
:func:`main` imports them all, so adding a command is adding a file. Commands stay thin: they
parse options, call the library (imported inside the command, so ``--help`` stays fast),
write, print and exit with the code the result carries.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from typing import Any


def load() -> None:
    """Import every command module in this package (each registers its commands)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name != "shell":
            importlib.import_module(f"{__name__}.{module.name}")


def __getattr__(name: str) -> Any:
    """``balancer.cli.app``: the typer app with every command registered (for tests)."""
    if name == "app":
        load()
        return importlib.import_module(f"{__name__}.shell").app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point: no traceback reaches a convener unless BALANCER_DEBUG is set.

    ``balancer --version`` is answered before the app is built: building it evaluates every
    command's options, most of the start-up time of a command that prints one line.
    """
    if sys.argv[1:] == ["--version"]:
        from balancer.cli.version import version_line

        print(version_line())
        return
    from balancer.cli.shell import EXIT_INTERNAL, err, exit_code
    from balancer.spec.errors import BalancerError

    app = __getattr__("app")
    try:
        app()
    except SystemExit:
        raise
    except BalancerError as exc:  # a command that did not say it itself: code and sentence
        if os.environ.get("BALANCER_DEBUG"):
            raise
        err.print(f"{exc.code}: {exc.message}", markup=False)
        sys.exit(exit_code(exc))
    except Exception as exc:  # the last line of defence, by design
        if os.environ.get("BALANCER_DEBUG"):
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc}. Please report it with the inputs; "
            "set BALANCER_DEBUG=1 to see the details.",
            markup=False,
        )
        sys.exit(EXIT_INTERNAL)
