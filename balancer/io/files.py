"""Reading scenarios and pools, and writing outputs safely.

Everything that touches a file lives here, so that the model and the solver can be used from a
notebook on in-memory data. Untrusted input never executes: YAML goes through ``safe_load``
rules, CSV and XLSX cells are read as plain text.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import itertools
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from io import BytesIO, StringIO
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard, Union, get_args, get_origin

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, Tag, ValidationError

from balancer.io.formats import sortition_foundation, xlsx
from balancer.io.formats import text as text_format
from balancer.spec.errors import InputError, Problem, did_you_mean
from balancer.spec.normalisation import NormalisedValue
from balancer.spec.scenario import Scenario

if TYPE_CHECKING:
    from balancer.io.countries import CountryTable

# ---------------------------------------------------------------------------------------------
# YAML: safe, and without YAML 1.1's habit of turning yes/no/on/off into booleans.
# ---------------------------------------------------------------------------------------------


class _ScenarioLoader(yaml.SafeLoader):
    """A safe loader that keeps what the convener typed wherever a pool cell is compared.

    Pool cells are text, so a quota on ``disability: {yes: ...}`` must compare with the cell
    ``yes``, not with a Python ``True``; an id ``007`` must stay ``007``, not become the octal
    number 7; a date stays the text of the date. Every mapping key is the text as typed, and
    two keys with the same text (``1`` and ``'1'``) are refused as duplicates, because YAML
    would otherwise silently keep only the last one.
    """


_KEPT_AS_TEXT = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
_ScenarioLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _KEPT_AS_TEXT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def _construct_int(loader: _ScenarioLoader, node: yaml.ScalarNode) -> int | str:
    """Plain decimals are numbers; YAML 1.1's other integer forms stay the text typed.

    ``007`` (octal), ``0x1F``, ``1_000`` and ``1:30`` (base 60) look like ids or codes far more
    often than numbers in a scenario, and turning them into numbers loses the spelling that
    the pool's cells have.
    """
    text = str(loader.construct_scalar(node))
    return int(text) if _PLAIN_INT.fullmatch(text) else text


def _construct_mapping(loader: _ScenarioLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a key must be a plain word or number, not a list or mapping",
                key_node.start_mark,
            )
        # The text as typed, so that the key '2.50' matches the cell '2.50' and the keys 1
        # and '1' (the same text, the same cell) are one key.
        key = str(key_node.value)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_ScenarioLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def parse_scenario_text(text: str, *, source: str = "<scenario>") -> Scenario:
    """Parse and validate scenario YAML, raising :class:`InputError` with every problem."""
    raw = scenario_mapping(text, source=source)
    raw = sortition_foundation.expand_quotas(raw, source)  # quotas: features.csv
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, source, Scenario)) from None


def scenario_mapping(text: str, *, source: str = "<scenario>") -> dict[str, Any]:
    """Scenario YAML as the mapping typed, not yet validated (for editors such as the app).

    Read with the same loader as :func:`parse_scenario_text`, so ``yes`` stays the word.
    """
    try:
        raw = yaml.load(text, Loader=_ScenarioLoader)
    except RecursionError:
        # A document nested thousands of levels deep (by accident or on purpose): no scenario
        # is, so it is bad input, not an internal error.
        raise InputError(
            [
                Problem(
                    source,
                    "",
                    "the YAML is nested too deeply to be a scenario",
                    "a scenario is a few levels deep: check the brackets and indentation",
                )
            ]
        ) from None
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
    return raw


def pydantic_problems(exc: ValidationError, source: str, root: type[BaseModel]) -> list[Problem]:
    """One readable problem per validation error, with a did-you-mean for unknown keys."""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        where, _ = _walk(root, loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            _, parent = _walk(root, loc[:-1])
            allowed = list(parent.model_fields) if _is_model(parent) else []
            problems.append(
                Problem(source, where, f"unknown key '{key}'", did_you_mean(key, allowed))
            )
        elif kind == "missing":
            problems.append(Problem(source, where, "required key is missing", "add it"))
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(source, where, message))
    return problems


def _walk(root: type[BaseModel], loc: list[int | str]) -> tuple[str, Any]:
    """The readable location of ``loc`` and the type found there, by following the schema.

    Each step goes exactly one level down: a model field to its annotation, a mapping key to
    the mapping's value type, a list index to the item type. Union tags that pydantic puts in
    locations (``pool.mapping.sheet``) name no key the convener wrote, so they are consumed
    here and left out of the location.
    """
    where = ""
    current: Any = root
    for part in loc:
        current = _strip(current)
        if get_origin(current) in (Union, UnionType):
            # pydantic names the member it tried: a tag, or a label for an untagged union
            # (then the member that can hold keys is the one a deeper location goes into).
            tagged = _tagged_members(current)
            current = tagged.get(str(part)) if tagged else _container_member(current)
            continue
        if _is_model(current):
            field = current.model_fields.get(str(part))
            current = field.annotation if field is not None else None
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
            where += f"[{part}]"
            continue
        else:
            current = None
        where = f"{where}.{part}" if where else str(part)
    return where or "(top level)", _strip(current)


def _strip(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and ``X | None``, where the location has no step."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _tagged_members(annotation: Any) -> dict[str, Any]:
    """The members of a tagged union by tag (empty for anything else)."""
    if get_origin(annotation) not in (Union, UnionType):
        return {}
    members: dict[str, Any] = {}
    for member in get_args(annotation):
        if get_origin(member) is Annotated:
            for extra in member.__metadata__:
                if isinstance(extra, Tag):
                    members[extra.tag] = member
    return members


def _container_member(union: Any) -> Any:
    for member in get_args(union):
        inner = _strip(member)
        if _is_model(inner) or get_origin(inner) in (dict, list):
            return inner
    return None


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


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
    if not file.is_file():
        # A device or a pipe: reading would wait for ever (a pipe) or never end (/dev/zero).
        raise InputError(
            [
                Problem(
                    str(file),
                    "",
                    f"is not a regular file (a device, pipe or socket), so not a {what} file",
                    "save the data to a file and give its path",
                )
            ]
        )
    return file.read_bytes()


# ---------------------------------------------------------------------------------------------
# Pools: every cell is text, trimmed; nothing is interpreted as a number, date or "NA".
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """A candidate pool as read: text cells, trimmed, in file order.

    ``problems`` holds the empty and repeated ids found while reading. They do not stop the
    reading, so that :func:`balancer.engine.problem.build_problem` can report them together with the
    scenario's own problems, and the convener sees everything in one run.
    """

    table: pd.DataFrame
    path: Path | None
    sha256: str
    id_column: str
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()  # warnings from reading: encoding guessed, formulas kept as text
    # The spreadsheet row of each table row, once empty rows (or excluded candidates) are gone.
    source_rows: np.ndarray | None = None
    # True once the scenario's columns, aliases, derive, missing and multi have been applied
    # (by balancer.io.normalise.prepare_pool): they are applied to a pool exactly once, so a
    # problem rebuilt from an already prepared pool cannot map a header a second time.
    normalised: bool = False
    # The columns prepare_pool resolved as countries, and the table it used (kept with the
    # prepared pool, so a scenario value such as 'UK' is resolved the same way when a problem
    # is rebuilt from it).
    country_columns: Mapping[str, CountryTable] = field(default_factory=dict)
    # Every raw value prepare_pool changed (balancer.io.normalise.Normalised records), kept with
    # the prepared pool so a report built from it can list them in full.
    normalisation: tuple[NormalisedValue, ...] = ()

    def row_label(self, index: int) -> str:
        """How a person finds row ``index`` in their spreadsheet (header is row 1)."""
        if self.source_rows is not None:
            return f"row {int(self.source_rows[index])}"
        return f"row {index + 2}"


def read_pool(
    path: str | Path,
    *,
    id_column: str | None = "id",
    sheet: str | None = None,
    encoding: str | None = None,
    id_choices: Sequence[str] = (),
    header_row: int = 1,
) -> Pool:
    """Read a CSV or XLSX pool; empty and repeated ids go to ``Pool.problems``, not raised.

    Rows with every cell empty are dropped (spreadsheets keep formatted blank rows); the
    others keep their spreadsheet row numbers in messages. ``id_column=None`` reads a pool
    whose id column is not chosen yet (the web app's first look) and checks no ids. With
    ``id_choices`` the first of those headers the file has is the id column (a roster may name
    it as the pool does before or after the scenario's ``columns:``, or just ``id``);
    ``id_column`` is the one asked for when the file has none of them. ``header_row`` is the
    row of the column names (below a title, say); rows above it are not read, and messages
    keep the spreadsheet's row numbers.
    """
    file = Path(path)
    data = _read_bytes(file, what="pool")
    digest = hashlib.sha256(data).hexdigest()
    notes: list[str] = []
    letters = file.suffix.lower() in {".xlsx", ".xlsm"}
    if letters:
        table, notes = xlsx.read_sheet(file, sheet, header_row)
    else:
        table, notes = _read_csv(file, data, encoding, header_row)
    table, dropped = _drop_empty_trailing(table, file, letters=letters)
    table = _clean(table, file, letters=letters)
    notes = [*notes, *dropped]
    id_column = next((c for c in id_choices if c in table.columns), id_column)
    rows = None
    blank = np.ones(len(table), dtype=bool)
    for column in table.columns:
        blank &= (table[column] == "").to_numpy()
    numbers = np.arange(len(table)) + header_row + 1
    if blank.any():
        rows = numbers[~blank]
        table = table[~blank].reset_index(drop=True)
    elif header_row > 1:
        rows = numbers
    pool = Pool(
        table=table,
        path=file,
        sha256=digest,
        id_column=id_column or "",
        notes=tuple(notes),
        source_rows=rows,
    )
    if id_column is None:
        return pool
    return replace(pool, problems=tuple(id_problems(pool)))


def pool_from_frame(frame: pd.DataFrame, *, id_column: str = "id", name: str = "<pool>") -> Pool:
    """A pool from an in-memory table (notebooks, tests); cells become trimmed text."""
    table = _clean(frame.astype(str).where(frame.notna(), ""), Path(name))
    csv = table.to_csv(index=False).encode()
    pool = Pool(table=table, path=None, sha256=hashlib.sha256(csv).hexdigest(), id_column=id_column)
    return replace(pool, problems=tuple(id_problems(pool)))


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``StringIO(text)`` yields them (each with its ``\n``), lazily.

    Only the first few records are looked at; a StringIO would first copy the whole file (of
    a million rows) at up to four bytes a character.
    """
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _read_csv(
    file: Path, data: bytes, encoding: str | None, header_row: int = 1
) -> tuple[pd.DataFrame, list[str]]:
    """Any delimiter of , ; tab |, and any common encoding (see :mod:`balancer.io.formats.text`).

    A title above the header is reported in one line (see :func:`text_format.header_guess`);
    with ``header_row`` the lines above the header are skipped.
    """
    decoded = text_format.decode(data, str(file), encoding, header_row)
    text = decoded.text
    text_format.mixed_delimiters(text, decoded.delimiter, str(file), header_row)
    if header_row == 1:
        first = list(itertools.islice(csv.reader(_lines(text), delimiter=decoded.delimiter), 10))
        width = max((len(row) for row in first), default=0)
        if first and (len(first[0]) < width or any(not c.strip() for c in first[0])):
            guess = text_format.header_guess(first)
            if guess is not None:
                raise text_format.TitleRow(str(file), guess)
    else:
        lines = text.split("\n")
        if header_row > len(lines) or not lines[header_row - 1].strip():
            raise InputError(
                [
                    Problem(
                        str(file),
                        f"header_row {header_row}",
                        f"line {header_row} is empty or past the end of the file",
                        "give the line of the column names",
                    )
                ]
            )
        text = "\n".join(lines[header_row - 1 :])
    plain = header_row == 1 and not decoded.skipped and not decoded.notes
    bom = data.startswith(codecs.BOM_UTF8)
    # The bytes whose UTF-8 decoding is exactly the text: the whole file, or what follows the
    # one byte-order mark of Excel's "CSV UTF-8" (decoding takes a second one off too).
    body = None
    if plain and decoded.encoding == "utf-8" and not bom:
        body = data
    elif plain and decoded.encoding == "utf-8-sig" and not data[3:].startswith(codecs.BOM_UTF8):
        body = data[3:]
    if body is not None and len(body) >= ARROW_FROM_BYTES:
        table = read_csv_arrow(body, decoded.delimiter)
        if table is not None:
            return table, list(decoded.notes)
    # Parsing the bytes gives the same table without pandas encoding the text back to UTF-8
    # (a StringIO of a million rows also holds up to four bytes per character, more memory
    # than the whole table, so it is not even made when it is not read).
    source: StringIO | BytesIO = BytesIO(data) if body is data else StringIO(text)
    try:
        table = pd.read_csv(
            source,
            encoding="utf-8" if isinstance(source, BytesIO) else None,
            sep=decoded.delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError([Problem(str(file), "", "the pool file is empty")]) from None
    except pd.errors.ParserError as exc:
        skipped = header_row - 1 + decoded.skipped
        raise InputError([_csv_problem(file, text, str(exc), skipped)]) from None
    return table, list(decoded.notes)


ARROW_FROM_BYTES = 1 << 20
"""Pools of this size or more are parsed by Arrow's CSV reader when it gives pandas' table.

Below it pandas' parser takes a few milliseconds, and every small file keeps the one parser
its tests were written against."""


# Arrow reads in blocks, and each becomes a chunk of every column; 16 MiB blocks parse as fast
# as the default 1 MiB and make a million-row column 9 chunks rather than 135, which hashing it
# (repeated ids, the nominated-twice check) and joining its chunks take about twice as long.
_ARROW_BLOCK = 1 << 24


def read_csv_arrow(data: bytes, delimiter: str) -> pd.DataFrame | None:
    """The table ``pd.read_csv`` makes of plain UTF-8 ``data``, parsed by Arrow; or None.

    pandas' parser takes about 2.5 s of a million-row pool's read and hands each cell to
    Python on the way to Arrow strings; Arrow's reader makes the same Arrow strings directly,
    several times faster, and the table is the same. Where the two parsers differ, this
    returns None and the caller reads with pandas (and gets its messages for broken files):

    - Arrow refuses the file (a row of another width, or a line of spaces, which pandas
      skips as blank), or it has no rows, one column, a blank or repeated header.
    - A carriage return not followed by a line feed (pandas' handling of a lone ``\r`` is
      its own); CRLF and LF line ends are read alike.
    - A quote that pandas would keep in a cell (``""`` inside a quoted cell, a quote inside
      an unquoted one): only when no header or cell holds a quote is every quote in the file
      one that opens or closes a quoted cell, so that an odd count of them means a cell left
      open at the end of the file, which pandas refuses and Arrow would accept.
    - The default string storage is not Arrow's (pandas before 3): the table would differ.

    ``tests/test_read_fast.py`` checks the result against ``pd.read_csv`` on generated files
    full of quotes, blank lines, spaces and mixed line ends.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    text_dtype = pd.Series(["x"], dtype=str).dtype
    if not (isinstance(text_dtype, pd.StringDtype) and text_dtype.storage == "pyarrow"):
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):  # most files: one scan
        return None
    quoted = b'"' in data
    if quoted and data.count(b'"') % 2:
        return None
    parse = pa_csv.ParseOptions(
        delimiter=delimiter,
        quote_char='"',
        double_quote=True,
        escape_char=False,
        newlines_in_values=True,
        ignore_empty_lines=True,
    )
    buffer = pa.py_buffer(data)
    try:
        # The header first (one small block), so that every column is read as text.
        header = pa_csv.ReadOptions(use_threads=False, block_size=1 << 16)
        with pa_csv.open_csv(buffer, read_options=header, parse_options=parse) as probe:
            names = list(probe.schema.names)
        if (
            len(names) < 2
            or len(set(names)) < len(names)
            or not all(n.strip() for n in names)
            or (quoted and any('"' in n for n in names))
        ):
            return None
        convert = pa_csv.ConvertOptions(
            column_types={n: pa.large_string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        arrow = pa_csv.read_csv(
            buffer,
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=_ARROW_BLOCK),
            parse_options=parse,
            convert_options=convert,
        )
    except (pa.ArrowInvalid, StopIteration):
        return None
    if arrow.num_rows == 0 or arrow.column_names != names:
        return None
    if quoted and any(pc.any(pc.match_substring(c, '"')).as_py() for c in arrow.columns):
        return None
    table: pd.DataFrame = arrow.to_pandas(types_mapper={pa.large_string(): text_dtype}.get)
    return table


def _csv_problem(file: Path, text: str, message: str, skipped: int = 0) -> Problem:
    """pandas' parser message, with its line numbers turned into the ones an editor shows.

    pandas counts only the line breaks outside quoted cells, and counts "rows" from 0, so a
    quote left open on line 2 is "row 1" to pandas and a cell with a line break in it shifts
    every later number.
    """
    unclosed = re.search(r"EOF inside string starting at row (\d+)", message)
    if unclosed:
        line = _editor_line(text, int(unclosed.group(1)) + 1) + skipped
        return Problem(
            str(file),
            f"line {line}",
            "malformed CSV: a quote opens a cell here and is never closed",
            'close the quote, or write a quote inside a cell as ""',
        )
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, seen = (int(g) for g in fields.groups())
        return Problem(
            str(file),
            f"line {_editor_line(text, line) + skipped}",
            f"malformed CSV: {seen} cells where the header has {expected}",
            "remove the extra comma, or quote a cell that contains a comma",
        )
    detail = message.removeprefix("Error tokenizing data. ").strip()
    return Problem(str(file), "", f"malformed CSV: {detail}", "check quotes and commas")


def _editor_line(text: str, record: int) -> int:
    """The line (from 1) on which pandas' ``record``-th line (from 1) starts.

    Follows the parser's quoting: a quote opens a quoted cell only at the start of a cell, and
    line breaks inside a quoted cell do not count as new lines for pandas.
    """
    line, count = 1, 1
    inside, cell_start, just_closed = False, True, False
    for char in text:
        if count >= record:
            break
        if inside:
            if char == '"':
                inside, just_closed = False, True
            elif char == "\n":
                line += 1
            continue
        if char == '"' and (cell_start or just_closed):
            inside, cell_start, just_closed = True, False, False
            continue
        just_closed = False
        cell_start = char in ",\n"
        if char == "\n":
            line += 1
            count += 1
    return line


def _unnamed(header: object) -> bool:
    """A header cell left empty (pandas names it ``Unnamed: 3``)."""
    text = str(header).strip()
    return not text or text.startswith("Unnamed:")


def column_name(position: int, *, letters: bool) -> str:
    """Column ``position`` (from 1) as the convener's program shows it: ``K`` in Excel."""
    if letters:
        from openpyxl.utils.cell import get_column_letter

        return get_column_letter(position)
    return str(position)


def _drop_empty_trailing(
    table: pd.DataFrame, file: Path, *, letters: bool
) -> tuple[pd.DataFrame, list[str]]:
    """Drop the columns at the end with no header and no cell, with a note.

    Excel exports often carry a few (a cell once formatted, a trailing ``,`` on every line):
    they hold nothing, so refusing them as "column 11 has no header" only costs a round trip.
    """
    keep = len(table.columns)
    while (
        keep
        and _unnamed(table.columns[keep - 1])
        and (table.iloc[:, keep - 1].astype(str).str.strip() == "").all()
    ):
        keep -= 1
    dropped = len(table.columns) - keep
    if not dropped:
        return table, []
    first, last = (column_name(p, letters=letters) for p in (keep + 1, len(table.columns)))
    span = first if dropped == 1 else f"{first} to {last}"
    note = (
        f"{file}: {dropped} empty column(s) without a header at the end (column {span}) "
        "were left out"
    )
    return table.iloc[:, :keep], [note]


def _clean(table: pd.DataFrame, file: Path, *, letters: bool = False) -> pd.DataFrame:
    """Trim every header and cell; refuse blank or repeated headers."""
    problems = []
    headers = [str(c).strip() for c in table.columns]
    for position, header in enumerate(headers, start=1):
        if _unnamed(header):
            where = f"column {column_name(position, letters=letters)}"
            problems.append(Problem(str(file), where, "has no header", "name it"))
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
        cleaned[column] = trimmed(cleaned[column])
    return cleaned.reset_index(drop=True)


# The first or last byte of a cell that may belong to a character Arrow's (and Python's)
# trimming removes: every ASCII whitespace is at most 0x20, and a byte from 0x7f up may be DEL
# or part of a non-ASCII character (a no-break space, say).
_PLAIN_LOW, _PLAIN_HIGH = 0x20, 0x7F


def trimmed(cells: pd.Series) -> pd.Series:
    """The cells as text, trimmed of whitespace at both ends (as ``.str.strip()`` does).

    Trimming builds a new copy of every cell, about a second for the free-text columns of a
    million-row pool, where cells are nearly always trimmed already. So the first and last
    byte of every cell is looked at in Arrow's buffers first: when none of them can be
    whitespace (none is at most 0x20, none from 0x7f up), trimming would change nothing and
    the column is kept as it is. Anything else (another storage, missing values, a
    non-ASCII last letter) is trimmed as before.
    """
    text = cells.astype(str)
    if _edges_plain(text):
        return text
    return text.str.strip()


def _edges_plain(cells: pd.Series) -> bool:
    """True when no cell of Arrow-backed ``cells`` starts or ends with a byte that trimming
    might remove (see :func:`trimmed`); False when unsure."""
    if not isinstance(cells.dtype, pd.StringDtype) or cells.dtype.storage != "pyarrow":
        return False
    import pyarrow as pa

    arrow = pa.array(cells.array)
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    for chunk in chunks:
        if chunk.null_count or not (
            pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)
        ):
            return False
        if not len(chunk):
            continue
        _, offset_buffer, data_buffer = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(offset_buffer, dtype=width)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ].astype(np.int64, copy=False)
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        if not filled.any():
            continue
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        for edge in (data[starts[filled]], data[ends[filled] - 1]):
            if ((edge <= _PLAIN_LOW) | (edge >= _PLAIN_HIGH)).any():
                return False
    return True


_MOST_ID_PROBLEMS = 20


def id_problems(pool: Pool) -> list[Problem]:
    """Empty and repeated ids, by row; ids are how people are named in every output.

    A missing id column or an empty pool is raised at once: nothing else can be checked
    without them. A long list is cut, with a last line saying how many were left out, since a
    pool with hundreds of bad ids usually has one cause (a wrong column, a pasted block).
    """
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
    suspect = (ids == "") | ids.duplicated(keep=False)
    if not suspect.any():  # the usual case, checked without a Python loop over a large pool
        return []
    found: list[Problem] = []
    first_seen: dict[str, int] = {}
    for row in np.flatnonzero(suspect.to_numpy()).tolist():
        value = str(ids.iat[row])
        label = pool.row_label(row)
        if value == "":
            found.append(Problem(source, label, "empty id", "give every row an id"))
        elif value in first_seen:
            first = pool.row_label(first_seen[value])
            message = f"duplicate id '{value}' (first at {first})"
            found.append(Problem(source, label, message, "make ids unique"))
        else:
            first_seen[value] = row
    problems = found[:_MOST_ID_PROBLEMS]
    if len(found) > _MOST_ID_PROBLEMS:
        problems.append(
            Problem(
                source,
                "",
                f"and {len(found) - _MOST_ID_PROBLEMS} more empty or duplicate ids",
                "fix the ones above first; the same cause is likely",
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Writing: whole files or nothing.
# ---------------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def unneutralise_cell(value: str) -> str:
    """A cell as it was before :func:`neutralise_cell` (reading back a CSV balancer wrote).

    Only a ``'`` in front of a formula-like cell is taken off: that is the one
    :func:`neutralise_cell` adds, so any other cell, a leading ``'`` included, is kept.
    """
    bare = value[1:]
    return bare if value.startswith("'") and neutralise_cell(bare) == value else value


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
            # Registered before writing: a write that fails (a full disk) must be cleaned up.
            staged.append((name, Path(temp_name)))
            with os.fdopen(handle, "wb") as stream:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
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
