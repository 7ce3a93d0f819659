"""The Sortition Foundation's two-file format: a features CSV and a people CSV.

Citizens' assembly recruiters (and the Sortition Foundation's stratification app) describe a
panel as one row per feature value, ``feature,value,min,max`` with optional ``min_flex`` and
``max_flex``, next to a people file with one column per feature. Reading that pair lets such a
panel be selected, checked and explained by balancer without retyping the quotas, and writing
it lets a balancer scenario go back to tools that speak only that format.

Mapping: each row is a quota ``quotas.<feature>.<value>: {min, max}``. ``min_flex`` and
``max_flex`` say how far the bounds may be relaxed when no panel meets them (the min down to
``min_flex``, the max up to ``max_flex``); balancer's quotas stay hard, and the flex becomes
``relax_limits`` on the quota's two rules (``quota:<feature>=<value>:min`` may move
``min - min_flex`` seats, ``...:max`` may move ``max_flex - max``), so the smallest fix of an
infeasible panel never relaxes a quota beyond its flex. A limit the scenario writes itself wins.
Older files name the columns ``category,name`` instead of ``feature,value``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from balancer.io.formats import text as text_format
from balancer.spec.errors import InputError, Problem

_REQUIRED = ("feature", "value", "min", "max")
_OLD_NAMES = {"category": "feature", "name": "value"}
_KNOWN = {*_REQUIRED, "min_flex", "max_flex"}

Quotas = dict[str, dict[str, dict[str, int]]]


@dataclass
class Features:
    """A features CSV read: the quotas, and the flex of the rows that give one."""

    quotas: Quotas
    flex: dict[tuple[str, str], tuple[int | None, int | None]] = field(default_factory=dict)
    """(feature, value) -> (min_flex, max_flex); None where the cell is empty."""

    def relax_limits(self, board_size: int | None) -> dict[str, int]:
        """``relax_limits`` for the flex: seats each quota rule may move in the smallest fix.

        Only rules that exist get a key (a min of 0 makes no min rule, a max of the board size
        or more no max rule), since a key matching no rule is refused.
        """
        limits: dict[str, int] = {}
        for (feature, value), (min_flex, max_flex) in self.flex.items():
            bounds = self.quotas[feature][value]
            rule = f"quota:{_literal(feature)}={_literal(value)}"
            if min_flex is not None and bounds["min"] > 0:
                limits[f"{rule}:min"] = bounds["min"] - min_flex
            if max_flex is not None and (board_size is None or bounds["max"] < board_size):
                limits[f"{rule}:max"] = max_flex - bounds["max"]
        return limits


def _literal(text: str) -> str:
    """``text`` as an fnmatch pattern matching only itself (relax_limits keys are patterns)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def read_features(path: str | Path) -> Quotas:
    """``quotas`` for a scenario from a features CSV, every problem reported at once."""
    return read_feature_table(path).quotas


def read_feature_table(path: str | Path) -> Features:
    """The quotas and their flex from a features CSV, every problem reported at once."""
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
    flex: dict[tuple[str, str], tuple[int | None, int | None]] = {}
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
                min_flex, max_flex = numbers.get("min_flex"), numbers.get("max_flex")
                if min_flex is not None and not 0 <= min_flex <= lo:
                    problems.append(
                        Problem(
                            source,
                            f"{where}, min_flex",
                            f"min_flex {min_flex} with min {lo}",
                            "need 0 <= min_flex <= min",
                        )
                    )
                elif max_flex is not None and max_flex < hi:
                    problems.append(
                        Problem(
                            source,
                            f"{where}, max_flex",
                            f"max_flex {max_flex} with max {hi}",
                            "need max_flex >= max",
                        )
                    )
                elif min_flex is not None or max_flex is not None:
                    flex[(feature, value)] = (min_flex, max_flex)
    if not quotas and not problems:
        problems.append(Problem(source, "", "no features", "add rows feature,value,min,max"))
    if problems:
        raise InputError(problems)
    return Features(quotas=quotas, flex=flex)


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
    features = read_feature_table(path)
    size = raw.get("board_size")
    limits = features.relax_limits(size if isinstance(size, int) else None)
    own = raw.get("relax_limits")
    if limits and (own is None or isinstance(own, dict)):
        limits.update(own or {})  # the scenario's own limits win
        return {**raw, "quotas": features.quotas, "relax_limits": limits}
    return {**raw, "quotas": features.quotas}


def features_csv(
    quotas: Mapping[str, Mapping[str, tuple[int, int]]],
    flex: Mapping[tuple[str, str], tuple[int, int]] | None = None,
) -> str:
    """A features CSV from seat bounds per feature and value, with min_flex/max_flex if given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["feature", "value", "min", "max", *(["min_flex", "max_flex"] if flex else [])])
    for feature, values in quotas.items():
        for value, (lo, hi) in values.items():
            writer.writerow([feature, value, lo, hi, *(flex[(feature, value)] if flex else ())])
    return out.getvalue()


def scenario_yaml(
    *,
    name: str,
    board_size: int,
    pool: str,
    id_column: str,
    quotas: Quotas,
    seed: int,
    relax_limits: Mapping[str, int] | None = None,
) -> str:
    """Scenario YAML text for a features/people pair (quotas written out, so they can be edited).

    ``relax_limits`` holds the file's min_flex/max_flex (see :meth:`Features.relax_limits`).
    """
    data: dict[str, Any] = {
        "name": name,
        "board_size": board_size,
        "pool": pool,
        "id_column": id_column,
        "seed": seed,
        "quotas": quotas,
    }
    header = "# Written by balancer import-sf from a Sortition Foundation features/people pair.\n"
    if relax_limits:
        data["relax_limits"] = dict(relax_limits)
        header += (
            "# relax_limits: the features' min_flex/max_flex, as seats each quota may move in\n"
            "# the smallest fix (min down to min_flex, max up to max_flex).\n"
        )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
