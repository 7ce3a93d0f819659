"""The Sortition Foundation's two-file format: a features CSV and a people CSV.

Citizens' assembly recruiters (and the Sortition Foundation's stratification app) describe a
panel as one row per feature value, ``feature,value,min,max`` with optional ``min_flex`` and
``max_flex``, next to a people file with one column per feature. Reading that pair lets such a
panel be selected, checked and explained by balancer without retyping the quotas, and writing
it lets a balancer scenario go back to tools that speak only that format.

Mapping: each row is a quota ``quotas.<feature>.<value>: {min, max}``. ``min_flex`` and
``max_flex`` (how far the stratification app may relax a bound) have no counterpart: balancer's
quotas are hard and its relaxation is ``relax_limits``; they are read, checked as numbers and
otherwise ignored. Older files name the columns ``category,name`` instead of ``feature,value``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from balancer.io.formats import text as text_format
from balancer.spec.errors import InputError, Problem

_REQUIRED = ("feature", "value", "min", "max")
_OLD_NAMES = {"category": "feature", "name": "value"}
_KNOWN = {*_REQUIRED, "min_flex", "max_flex"}

Quotas = dict[str, dict[str, dict[str, int]]]


def read_features(path: str | Path) -> Quotas:
    """``quotas`` for a scenario from a features CSV, every problem reported at once."""
    file = Path(path)
    source = str(file)
    if not file.is_file():
        raise InputError([Problem(source, "", "features file not found", "check the path")])
    decoded = text_format.decode(file.read_bytes(), source)
    reader = csv.DictReader(io.StringIO(decoded.text), delimiter=decoded.delimiter)
    header = [_OLD_NAMES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(
            [
                Problem(
                    source,
                    "header",
                    f"missing column(s) {', '.join(missing)}",
                    "the header must be feature,value,min,max[,min_flex,max_flex]",
                )
            ]
        )
    problems: list[Problem] = []
    quotas: Quotas = {}
    for line, raw in enumerate(reader, start=2):
        row = {h: (v or "").strip() for h, v in zip(header, raw.values(), strict=False)}
        if not any(row.values()):
            continue
        where = f"row {line}"
        feature, value = row["feature"], row["value"]
        if not feature or not value:
            problems.append(Problem(source, where, "no feature or value", "fill in both"))
            continue
        numbers: dict[str, int] = {}
        for column in ("min", "max", "min_flex", "max_flex"):
            cell = row.get(column, "")
            if column in ("min_flex", "max_flex") and cell == "":
                continue
            try:
                numbers[column] = int(cell)
            except ValueError:
                problems.append(
                    Problem(source, f"{where}, {column}", f"'{cell}' is not a whole number")
                )
        lo, hi = numbers.get("min"), numbers.get("max")
        if lo is not None and hi is not None:
            if lo < 0 or lo > hi:
                problems.append(
                    Problem(source, where, f"min {lo}, max {hi}", "need 0 <= min <= max")
                )
            elif value in quotas.get(feature, {}):
                problems.append(
                    Problem(source, where, f"{feature} = {value} is listed twice", "keep one row")
                )
            else:
                quotas.setdefault(feature, {})[value] = {"min": lo, "max": hi}
    if not quotas and not problems:
        problems.append(Problem(source, "", "no features", "add rows feature,value,min,max"))
    if problems:
        raise InputError(problems)
    return quotas


def expand_quotas(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """A scenario mapping with ``quotas: features.csv`` replaced by the quotas it holds.

    The path is relative to the scenario file (or to the working folder for a scenario that is
    not a file).
    """
    quotas = raw.get("quotas")
    if not isinstance(quotas, str):
        return raw
    path = Path(quotas)
    if not path.is_absolute() and Path(source).is_file():
        path = Path(source).parent / path
    return {**raw, "quotas": read_features(path)}


def features_csv(quotas: Mapping[str, Mapping[str, tuple[int, int]]]) -> str:
    """A features CSV from seat bounds per feature and value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["feature", "value", "min", "max"])
    for feature, values in quotas.items():
        for value, (lo, hi) in values.items():
            writer.writerow([feature, value, lo, hi])
    return out.getvalue()


def scenario_yaml(
    *,
    name: str,
    board_size: int,
    pool: str,
    id_column: str,
    quotas: Quotas,
    seed: int,
) -> str:
    """Scenario YAML text for a features/people pair (quotas written out, so they can be edited)."""
    data: dict[str, Any] = {
        "name": name,
        "board_size": board_size,
        "pool": pool,
        "id_column": id_column,
        "seed": seed,
        "quotas": quotas,
    }
    header = "# Written by balancer import-sf from a Sortition Foundation features/people pair.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
