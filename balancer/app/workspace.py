"""The workspace: a folder of ordinary files that the app and the CLI both open.

    <workspace>/pool/<file>              the uploaded pools, as uploaded
    <workspace>/scenarios/<name>.yaml    one scenario per file, valid for `balancer select`
    <workspace>/out/<name>/              the outputs of the last run (and public/ beside them)

A scenario names its pool by absolute path, so that the YAML downloaded from the app is the
very file the app ran (same bytes, same SHA-256 in the report) and runs from any folder.
Opening a workspace that was moved re-points such paths at the pool/ folder it now has.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import yaml

from balancer.app.security import inside, safe_name
from balancer.io.files import scenario_mapping

POOL_TYPES = {".csv", ".xlsx"}


class Workspace:
    """Paths inside one workspace folder; every name from a user goes through ``safe_name``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        for folder in (self.pools, self.scenarios, self.outputs):
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def pools(self) -> Path:
        return self.root / "pool"

    @property
    def scenarios(self) -> Path:
        return self.root / "scenarios"

    @property
    def outputs(self) -> Path:
        return self.root / "out"

    # Pools -------------------------------------------------------------------------------

    def pool_files(self) -> list[str]:
        return sorted(p.name for p in self.pools.iterdir() if p.suffix.lower() in POOL_TYPES)

    def pool_path(self, name: str) -> Path:
        return inside(self.pools, safe_name(name))

    def new_pool_name(self, uploaded: str) -> str:
        """A safe, unused name for an upload (``pool.xlsx``, then ``pool-2.xlsx``, ...)."""
        name = safe_name(uploaded, default="pool.csv")
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, "csv"
        candidate, n = f"{stem}.{suffix.lower()}", 2
        while (self.pools / candidate).exists():
            candidate, n = f"{stem}-{n}.{suffix.lower()}", n + 1
        return candidate

    # Scenarios ---------------------------------------------------------------------------

    def scenario_names(self) -> list[str]:
        return sorted(p.stem for p in self.scenarios.glob("*.yaml"))

    def scenario_path(self, name: str) -> Path:
        return inside(self.scenarios, safe_name(name, keep_suffix=False) + ".yaml")

    def new_scenario_name(self, wanted: str) -> str:
        base = safe_name(wanted, default="scenario", keep_suffix=False).lower()
        name, n = base, 2
        while self.scenario_path(name).exists():
            name, n = f"{base}-{n}", n + 1
        return name

    def read(self, name: str) -> dict[str, Any]:
        """The scenario as written (a plain mapping, for editing); validated elsewhere.

        Read by the scenario loader, never ``yaml.safe_load``: that would turn a quota on
        ``yes`` into one on ``True``, written back as ``true``.
        """
        path = self.scenario_path(name)
        return scenario_mapping(path.read_text(encoding="utf-8"), source=path.name)

    def write(self, name: str, data: dict[str, Any]) -> Path:
        """Write a scenario atomically, in the key order a person would write it."""
        path = self.scenario_path(name)
        text = dump(data)
        temporary = path.with_suffix(".yaml.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        return path

    def repoint(self) -> None:
        """A moved workspace: scenario pool paths that no longer exist but are in pool/."""
        for name in self.scenario_names():
            data = self.read(name)
            pool = data.get("pool")
            path = pool.get("path") if isinstance(pool, dict) else pool
            if isinstance(path, str) and not Path(path).exists():
                here = self.pools / Path(path).name
                if here.exists():
                    if isinstance(pool, dict):
                        pool["path"] = str(here)
                    else:
                        data["pool"] = str(here)
                    self.write(name, data)

    def import_scenario(self, source: Path) -> str:
        """Copy a scenario and its pool into the workspace (``balancer app --scenario``)."""
        data = scenario_mapping(source.read_text(encoding="utf-8"), source=str(source))
        pool = data["pool"]
        relative = pool["path"] if isinstance(pool, dict) else pool
        original = (source.parent / relative).resolve()
        name = safe_name(source.stem, keep_suffix=False).lower()
        if self.scenario_path(name).exists():
            return name
        target = self.pools / safe_name(original.name)
        if not target.exists():
            shutil.copyfile(original, target)
        if isinstance(pool, dict):
            pool["path"] = str(target)
        else:
            data["pool"] = str(target)
        self.write(name, data)
        return name

    # Outputs -----------------------------------------------------------------------------

    def output_dir(self, name: str) -> Path:
        return inside(self.outputs, safe_name(name, keep_suffix=False))

    def zipped(self, folder: Path, skip: str | None = None) -> bytes:
        """The files of ``folder`` as a zip (without its sub-folder ``skip``)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                inner = path.relative_to(folder).parts
                if path.is_file() and not (skip and inner[0] == skip):
                    archive.write(path, path.relative_to(folder).as_posix())
        return buffer.getvalue()


ORDER = [
    "name",
    "board_size",
    "pool",
    "id_column",
    "columns",
    "multi",
    "aliases",
    "missing",
    "derive",
    "quotas",
    "groups",
    "caps",
    "include",
    "exclude",
    "targets",
    "objective",
    "sensitive",
    "seed",
]


def dump(data: dict[str, Any]) -> str:
    """YAML for a person: known keys in the README's order, empty sections left out."""
    ordered = {key: data[key] for key in ORDER if key in data and data[key] not in ({}, [], None)}
    ordered |= {k: v for k, v in data.items() if k not in ordered and v not in ({}, [], None)}
    header = "# Written by the balancer app; run it with: balancer select THIS.yaml --out out/\n"
    return header + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
