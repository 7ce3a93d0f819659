"""The version line, on its own so that ``balancer --version`` imports nothing else."""

from __future__ import annotations


def version_line() -> str:
    """``balancer X (OR-Tools CP-SAT Y)``, from the installed packages' metadata."""
    from importlib import metadata

    return (
        f"balancer {metadata.version('balancer')} (OR-Tools CP-SAT {metadata.version('ortools')})"
    )
