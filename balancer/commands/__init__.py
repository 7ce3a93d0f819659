"""Further ``balancer`` commands, one module each, registered on the CLI app at import.

Every module here defines its typer commands with ``@app.command()`` on the app from
:mod:`balancer.cli_app`; :func:`load` imports them all, so adding a command is adding a file.
Commands stay thin: they parse options, call the library, print and set the exit code.
"""

from __future__ import annotations

import importlib
import pkgutil


def load() -> None:
    """Import every command module in this package (each registers its commands)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
