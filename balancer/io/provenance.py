"""Provenance: the one block every document carries to say how it was made.

``report.json``, the audit, the replacement, ``lottery.json`` (the file meant for public
checking) and the others record the same things in the same shape: balancer's and the
solver's versions, the SHA-256 of the scenario and of the pool, the seed, the command and when.
One pydantic model and one builder, so no document can forget a field or spell it its own way.

Files are recorded by name, never by absolute path: an absolute path says where the convener
keeps their files (often a user name) and makes two runs on two machines look different. The
scenario is recorded by its file name, the pool relative to the scenario's folder when it is
inside it (as the scenario itself names it), else by its file name alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel

from balancer.io.files import Pool, ScenarioFile


class Provenance(BaseModel):
    """Everything needed to reproduce a document exactly."""

    balancer_version: str
    solver: str = "OR-Tools CP-SAT"
    solver_version: str
    scenario_file: str | None
    scenario_sha256: str | None
    pool_file: str | None
    pool_sha256: str | None
    seed: int | None
    command: str | None = None
    created: str
    # Only for the documents that choose a board (select): how it was chosen, on what.
    tie_break: str | None = None
    workers: int | None = None
    candidates: int | None = None
    profiles: int | None = None


def versions() -> tuple[str, str]:
    """(balancer version, OR-Tools version) as installed."""
    return metadata.version("balancer"), metadata.version("ortools")


def now() -> str:
    """The creation time, to the second, in UTC."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def shown_name(path: Path | None, folder: Path | None) -> str | None:
    """A file by name: relative to ``folder`` when inside it, else its name alone."""
    if path is None:
        return None
    if folder is not None:
        try:
            return path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def provenance(
    file: ScenarioFile | None,
    pool: Pool | None,
    *,
    command: str | None = None,
    seed: int | None = None,
    tie_break: str | None = None,
    workers: int | None = None,
    candidates: int | None = None,
    profiles: int | None = None,
) -> Provenance:
    """The provenance block of a document made from ``file`` and ``pool`` now.

    ``seed`` defaults to the scenario's seed (the lottery's, which orders ties).
    """
    balancer_version, solver_version = versions()
    folder = file.path.parent if file is not None else None
    return Provenance(
        balancer_version=balancer_version,
        solver_version=solver_version,
        scenario_file=file.path.name if file is not None else None,
        scenario_sha256=file.sha256 if file is not None else None,
        pool_file=shown_name(pool.path, folder) if pool is not None else None,
        pool_sha256=pool.sha256 if pool is not None else None,
        seed=seed if seed is not None else (file.scenario.seed if file is not None else None),
        command=command,
        created=now(),
        tie_break=tie_break,
        workers=workers,
        candidates=candidates,
        profiles=profiles,
    )
