"""Reading scenarios and pools, and writing outputs safely.

Everything that touches a file lives here, so that the model and the solver can be used from a
notebook on in-memory data. Untrusted input never executes: YAML goes through ``safe_load``
rules, CSV and XLSX cells are read as plain text.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from balancer.errors import InputError, Problem, did_you_mean
from balancer.scenario import Scenario

# ---------------------------------------------------------------------------------------------
# YAML: safe, and without YAML 1.1's habit of turning yes/no/on/off into booleans.
# ---------------------------------------------------------------------------------------------


class _ScenarioLoader(yaml.SafeLoader):
    """A safe loader that keeps ``yes``/``no``/``true`` as the strings the convener typed.

    Pool cells are strings, so a quota on ``disability: {"yes": ...}`` or ``{yes: ...}`` must
    compare with the cell ``yes``, not with a Python ``True``. Duplicate keys are refused
    because YAML would otherwise silently keep only the last one.
    """


_ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _ScenarioLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a key must be a plain word or number, got {key!r}",
                key_node.start_mark,
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_ScenarioLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _stringify_keys(value: Any) -> Any:
    """Mapping keys become strings, so that a value ``2`` and a cell ``2`` compare equal."""
    if isinstance(value, dict):
        return {str(k): _stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_keys(v) for v in value]
    return value


def parse_scenario_text(text: str, *, source: str = "<scenario>") -> Scenario:
    """Parse and validate scenario YAML, raising :class:`InputError` with every problem."""
    try:
        raw = yaml.load(text, Loader=_ScenarioLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            [Problem(source, where, f"malformed YAML: {reason}", "check indentation and quotes")]
        ) from None
    if not isinstance(raw, dict):
        raise InputError(
            [Problem(source, "", "a scenario must be a mapping of keys such as board_size: 11")]
        )
    try:
        return Scenario.model_validate(_stringify_keys(raw))
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, source, Scenario)) from None


def pydantic_problems(exc: ValidationError, source: str, root: type[BaseModel]) -> list[Problem]:
    """One readable problem per validation error, with a did-you-mean for unknown keys."""
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        where = ".".join(loc) if loc else "(top level)"
        kind = error["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(root, loc[:-1])
            problems.append(
                Problem(source, where, f"unknown key '{loc[-1]}'", did_you_mean(loc[-1], allowed))
            )
        elif kind == "missing":
            problems.append(Problem(source, where, "required key is missing", "add it"))
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(source, where, message))
    return problems


def _allowed_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    """The keys a mapping at ``loc`` accepts, found by walking the schema's field types."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return []
            current = field.annotation
        current = _unwrap(current, part)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any, part: str) -> Any:
    """Find the pydantic model inside ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    for _ in range(4):
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        args = getattr(annotation, "__args__", ())
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        if models:
            return models[0]
        if not args:
            return annotation
        annotation = args[-1]
    return annotation


@dataclass(frozen=True)
class ScenarioFile:
    """A validated scenario together with where it came from (for paths and provenance)."""

    scenario: Scenario
    path: Path
    sha256: str

    @property
    def pool_path(self) -> Path:
        return (self.path.parent / self.scenario.pool_ref.path).resolve()


def load_scenario(path: str | Path) -> ScenarioFile:
    """Read and validate a scenario file."""
    file = Path(path)
    data = _read_bytes(file, what="scenario")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            [Problem(str(file), "", "is not UTF-8 text", "save the scenario as UTF-8")]
        ) from None
    scenario = parse_scenario_text(text, source=str(file))
    return ScenarioFile(scenario=scenario, path=file, sha256=hashlib.sha256(data).hexdigest())


def _read_bytes(file: Path, *, what: str) -> bytes:
    if not file.exists():
        raise InputError([Problem(str(file), "", f"{what} file not found", "check the path")])
    if file.is_dir():
        raise InputError([Problem(str(file), "", f"is a folder, not a {what} file")])
    return file.read_bytes()


# ---------------------------------------------------------------------------------------------
# Pools: every cell is text, trimmed; nothing is interpreted as a number, date or "NA".
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """A candidate pool as read: text cells, trimmed, in file order."""

    table: pd.DataFrame
    path: Path | None
    sha256: str
    id_column: str

    def row_label(self, index: int) -> str:
        """How a person finds row ``index`` in their spreadsheet (header is row 1)."""
        return f"row {index + 2}"


def read_pool(path: str | Path, *, id_column: str = "id", sheet: str | None = None) -> Pool:
    """Read a CSV or XLSX pool and check its id column."""
    file = Path(path)
    data = _read_bytes(file, what="pool")
    digest = hashlib.sha256(data).hexdigest()
    if file.suffix.lower() in {".xlsx", ".xlsm"}:
        table = _read_xlsx(file, sheet)
    else:
        table = _read_csv(file, data)
    table = _clean(table, file)
    pool = Pool(table=table, path=file, sha256=digest, id_column=id_column)
    check_ids(pool)
    return pool


def pool_from_frame(frame: pd.DataFrame, *, id_column: str = "id", name: str = "<pool>") -> Pool:
    """A pool from an in-memory table (notebooks, tests); cells become trimmed text."""
    table = _clean(frame.astype(str).where(frame.notna(), ""), Path(name))
    csv = table.to_csv(index=False).encode()
    pool = Pool(table=table, path=None, sha256=hashlib.sha256(csv).hexdigest(), id_column=id_column)
    check_ids(pool)
    return pool


def _read_csv(file: Path, data: bytes) -> pd.DataFrame:
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    str(file),
                    f"line {line}",
                    "is not UTF-8 text",
                    "save the spreadsheet as 'CSV UTF-8' (or give the .xlsx file)",
                )
            ]
        ) from None
    try:
        return pd.read_csv(
            file,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError([Problem(str(file), "", "the pool file is empty")]) from None
    except pd.errors.ParserError as exc:
        raise InputError(
            [Problem(str(file), "", f"malformed CSV: {str(exc).strip()}", "check quotes/commas")]
        ) from None


def _read_xlsx(file: Path, sheet: str | None) -> pd.DataFrame:
    try:
        frames = pd.read_excel(file, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
    except ValueError as exc:
        raise InputError([Problem(str(file), f"sheet {sheet!r}", str(exc))]) from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(
            [Problem(str(file), "", f"cannot read as XLSX: {exc}", "re-save it from Excel")]
        ) from None
    frame = frames if isinstance(frames, pd.DataFrame) else next(iter(frames.values()))
    return frame.where(frame.notna(), "")


def _clean(table: pd.DataFrame, file: Path) -> pd.DataFrame:
    """Trim every header and cell; refuse blank or repeated headers."""
    problems = []
    headers = [str(c).strip() for c in table.columns]
    for position, header in enumerate(headers, start=1):
        if not header or header.startswith("Unnamed:"):
            problems.append(Problem(str(file), f"column {position}", "has no header", "name it"))
    repeated = sorted({h for h in headers if headers.count(h) > 1})
    for header in repeated:
        problems.append(Problem(str(file), f"column '{header}'", "appears twice", "rename one"))
    # pandas renames a repeated header to 'x.1'; catch that too.
    for header in headers:
        base, _, suffix = header.rpartition(".")
        if suffix.isdigit() and base in headers:
            problems.append(Problem(str(file), f"column '{base}'", "appears twice", "rename one"))
    if problems:
        raise InputError(problems)
    cleaned = table.copy()
    cleaned.columns = pd.Index(headers)
    for column in cleaned.columns:
        cleaned[column] = cleaned[column].astype(str).str.strip()
    return cleaned.reset_index(drop=True)


def check_ids(pool: Pool) -> None:
    """Ids must exist, be non-empty and unique: they are how people are named in outputs."""
    source = str(pool.path) if pool.path else "<pool>"
    table = pool.table
    if pool.id_column not in table.columns:
        raise InputError(
            [
                Problem(
                    source,
                    f"column '{pool.id_column}'",
                    "id column not found",
                    did_you_mean(pool.id_column, table.columns, what="columns are")
                    + " (or set id_column in the scenario)",
                )
            ]
        )
    if table.empty:
        raise InputError([Problem(source, "", "the pool has no candidates")])
    ids = table[pool.id_column]
    problems = []
    for index in ids.index[ids == ""][:10]:
        problems.append(
            Problem(source, pool.row_label(int(index)), "empty id", "give every row an id")
        )
    duplicated = ids[ids.duplicated(keep=False) & (ids != "")]
    first_seen: dict[str, int] = {}
    for index, value in duplicated.items():
        row = int(str(index))
        if value not in first_seen:
            first_seen[value] = row
            continue
        problems.append(
            Problem(
                source,
                pool.row_label(row),
                f"duplicate id '{value}' (first at {pool.row_label(first_seen[value])})",
                "make ids unique",
            )
        )
    if problems:
        raise InputError(problems[:20])


# ---------------------------------------------------------------------------------------------
# Writing: whole files or nothing.
# ---------------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def safe_csv(table: pd.DataFrame) -> str:
    """CSV text with every formula-like cell (and header) neutralised."""
    safe = table.astype(str).map(neutralise_cell)
    safe.columns = pd.Index([neutralise_cell(str(c)) for c in table.columns])
    return str(safe.to_csv(index=False, lineterminator="\n"))


def write_files(out_dir: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write every file, or none: each goes to a temporary file first and is then renamed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, content in files.items():
            handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
            with os.fdopen(handle, "wb") as stream:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
            staged.append((name, Path(temp_name)))
        written = []
        for name, staged_file in staged:
            target = out_dir / name
            os.replace(staged_file, target)
            written.append(target)
        return written
    finally:
        for _, leftover in staged:
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
