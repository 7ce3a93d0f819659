"""Reading a pool for a person: columns, first rows, roles, raw values and what they become.

Nothing here decides how a cell is read: the raw view is :func:`balancer.io.files.read_pool`
(text cells, trimmed), and the normalised view is :func:`balancer.engine.load.read_prepared`
on the scenario being edited (the route of every command), so the supply the app shows is the
supply the CLI would see.
This module only *proposes* the scenario keys (``columns``, ``multi``, ``aliases``,
``missing``, ``derive``) that a convener would otherwise type by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from balancer.io import countries
from balancer.io.files import Pool, read_pool
from balancer.io.formats.text import TitleRow
from balancer.io.normalise import cell_parts

ROLES = ["id", "name", "country", "stakeholder_group", "gender", "disability", "other"]
"""The roles a column can play; "other" keeps the column under its own (tidied) name."""

# Header words that suggest a role; the first role whose word occurs in the header wins.
_HEADER_WORDS: list[tuple[str, tuple[str, ...]]] = [
    ("id", ("id", "identifier", "ref", "number", "no.")),
    ("disability", ("disab", "handicap", "impair")),
    ("stakeholder_group", ("stakeholder", "sector", "constituency")),
    ("country", ("country", "nationality", "pays", "país")),
    ("gender", ("gender", "sex", "genre", "género")),
    ("name", ("name", "nom", "nombre")),
]

# Spellings whose meaning is settled; anything else keeps its most common spelling.
_WORDS = {
    "gender": {
        "woman": ("f", "female", "woman", "women", "w", "femme", "mujer"),
        "man": ("m", "male", "man", "men", "homme", "hombre"),
        "non-binary": ("non-binary", "nonbinary", "non binary", "nb", "x", "other"),
    },
    "yes/no": {
        "yes": ("y", "yes", "true", "1", "oui", "sí", "si", "ja"),
        "no": ("n", "no", "false", "0", "non", "nein"),
    },
}


def read(
    path: Path, sheet: str | None = None, encoding: str | None = None, header_row: int = 1
) -> Pool:
    """The raw pool, the one read in the app that does not go through :mod:`balancer.engine.load`.

    It is the pool before there is a scenario to read it by, or while the scenario is being
    made from it: a fresh upload has none, and the mapping and spellings pages edit the very
    keys the engine would apply (``id_column``, ``columns``, ``multi``, ``aliases``) and must
    show the headers and cells as written, whatever those keys say now, even when the saved
    scenario does not validate yet. So the id column is not known (ids are not checked) and no
    normalisation is applied; how the file's bytes are read is the scenario's all the same
    (``sheet``, ``encoding``, ``header_row``), so a spelling chosen here is the one the engine
    will meet.
    """
    return read_pool(path, id_column=None, sheet=sheet, encoding=encoding, header_row=header_row)


def read_guessing(
    path: Path, sheet: str | None = None, encoding: str | None = None
) -> tuple[Pool, int]:
    """The raw pool and its header row, stepping over a title above the header.

    Exports from web forms often put a title ("Nominations, export of 30 November") in row 1.
    The CLI refuses such a file and names the ``header_row`` that fixes it; here the convener
    never sees the YAML, so the row the reader suggests is used (and shown, and can be changed).
    """
    try:
        return read(path, sheet, encoding), 1
    except TitleRow as title:
        return read(path, sheet, encoding, title.header_row), title.header_row


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook (none for a CSV), so a convener can pick the one with people."""
    if path.suffix.lower() != ".xlsx":
        return []
    import openpyxl  # only XLSX pools need it

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [str(name) for name in book.sheetnames]
    finally:
        book.close()


def column_name(header: str) -> str:
    """A scenario column name for a header: ``Stakeholder group(s)`` -> ``stakeholder_groups``."""
    name = re.sub(r"[^0-9a-z]+", "_", header.lower()).strip("_")
    return name or "column"


def suggest_role(header: str, values: list[str]) -> str:
    lowered = header.lower()
    for role, words in _HEADER_WORDS:
        if role == "id":
            tokens = re.split(r"[^0-9a-z.]+", lowered)
            if any(w in tokens for w in words):
                return role
        elif any(w in lowered for w in words):
            return role
    if values and _share_countries(values) > 0.8:
        return "country"
    return "other"


def _share_countries(values: list[str]) -> float:
    table = countries.shipped()
    filled = [v for v in values if v]
    return sum(table.lookup(v) is not None for v in filled) / max(1, len(filled))


def suggest_separator(values: list[str]) -> str:
    """``;`` (or ``|``) when several cells hold one; commas are too common inside names."""
    for separator in (";", "|"):
        if sum(separator in v for v in values) >= 2:
            return separator
    return ""


@dataclass
class Mapping:
    """Where each pool header goes: its role, its scenario name, its separator."""

    roles: dict[str, str]
    separators: dict[str, str] = field(default_factory=dict)

    def name_of(self, header: str) -> str:
        role = self.roles.get(header, "other")
        if role == "id":
            return header
        return column_name(header) if role == "other" else role

    def id_header(self) -> str | None:
        return next((h for h, r in self.roles.items() if r == "id"), None)


def suggest_mapping(pool: Pool) -> Mapping:
    roles: dict[str, str] = {}
    separators: dict[str, str] = {}
    taken: set[str] = set()
    for header in pool.table.columns:
        values = pool.table[header].tolist()
        role = suggest_role(str(header), values[:200])
        if role in taken and role != "other":
            role = "other"
        taken.add(role)
        roles[str(header)] = role
        separator = suggest_separator(values)
        if separator:
            separators[str(header)] = separator
    return Mapping(roles, separators)


@dataclass
class ValueRow:
    raw: str
    count: int
    proposed: str
    note: str = ""


@dataclass
class ColumnValues:
    """One column's raw values (parts, for a multi-valued column) and their proposals."""

    header: str
    name: str
    role: str
    rows: list[ValueRow]
    blanks: int
    missing: str


def _known(role: str, raw: str, values: set[str]) -> tuple[str, str] | None:
    words = _WORDS["gender"] if role == "gender" else None
    if role == "disability" or (role == "other" and values <= _yes_no_words()):
        words = _WORDS["yes/no"]
    if words is None:
        return None
    for value, spellings in words.items():
        if raw.strip().lower() in spellings:
            return value, ""
    return None


def _yes_no_words() -> set[str]:
    return {w for ws in _WORDS["yes/no"].values() for w in ws}


def propose(pool: Pool, mapping: Mapping, current: dict[str, dict[str, str]]) -> list[ColumnValues]:
    """Every mapped column's raw values with counts and a proposed value for each.

    Countries resolve through the shipped table (names, aliases, codes, any case), so the
    second spelling of a country becomes the first (a cap per country would otherwise count
    ``Kenya`` and ``KEN`` apart); known words of gender and yes/no columns become one word;
    other spellings that differ only in case or spacing become the most common one. Aliases
    already in the scenario win over every proposal.
    """
    table = countries.shipped()
    result = []
    for header, role in mapping.roles.items():
        name = mapping.name_of(header)
        if role in ("id", "name"):
            continue
        separator = mapping.separators.get(header) or None
        counts: Counter[str] = Counter()
        blanks = 0
        for cell in pool.table[header].tolist():
            parts = cell_parts(cell, separator) if separator else {cell.strip()} - {""}
            if not parts:
                blanks += 1
            counts.update(parts)
        folded: dict[str, str] = {}
        for raw, _ in counts.most_common():
            folded.setdefault(" ".join(raw.lower().split()), raw)
        lowered = {v.strip().lower() for v in counts}
        aliases = current.get(name, {})
        rows = []
        for raw, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            note = ""
            proposed = folded[" ".join(raw.lower().split())]
            if role == "country":
                country = table.lookup(raw)
                if country is None:
                    near = ", ".join(table.nearest(raw))
                    note = f"?{near}"
                else:
                    proposed = country.name
            else:
                known = _known(role, raw, lowered)
                if known:
                    proposed = known[0]
            if raw in aliases:
                proposed = aliases[raw]
            rows.append(ValueRow(raw, count, proposed, note))
        default_missing = "unknown" if blanks else "error"
        result.append(ColumnValues(header, name, role, rows, blanks, default_missing))
    return result


def mapping_from_scenario(pool: Pool, data: dict[str, object]) -> Mapping | None:
    """The mapping a scenario already holds (its ``columns``, ``id_column``, ``multi``)."""
    columns = data.get("columns", {})
    id_column = data.get("id_column")
    multi = data.get("multi", {})
    if not isinstance(columns, dict) or not isinstance(id_column, str):
        return None
    if not isinstance(multi, dict) or id_column not in pool.table.columns:
        return None
    roles: dict[str, str] = {}
    separators: dict[str, str] = {}
    for header in map(str, pool.table.columns):
        target = str(columns.get(header, header))
        if header == id_column:
            roles[header] = "id"
        elif target in ROLES:
            roles[header] = target
        else:
            roles[header] = "other"
        if target in multi:
            separators[header] = str(multi[target])
    return Mapping(roles, separators)
