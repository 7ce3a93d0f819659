"""The criteria form: a scenario mapping to form rows and back, checked as the CLI checks it.

There is no second schema here. A form becomes a plain mapping, the mapping becomes the YAML
text that would be saved, and that text goes through
:func:`balancer.io.files.parse_scenario_text` (the pydantic schema of
:mod:`balancer.spec.scenario`) and then :func:`balancer.engine.load.prepare` against the pool,
exactly as ``balancer select`` reads a file. The messages shown are therefore the CLI's own
:class:`balancer.spec.errors.Problem` lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from balancer.app.strings import t
from balancer.app.workspace import dump
from balancer.engine.load import prepare
from balancer.io.files import ScenarioFile, parse_scenario_text
from balancer.present.criteria import criteria_page
from balancer.spec.criteria import Commitment, criteria_sha256
from balancer.spec.errors import InputError

EXTRA_ROWS = 3
"""Blank rows offered below the filled ones in each table of the form."""


def number(text: str) -> Any:
    """A form number as YAML would hold it: an int, a decimal, ``"1/3"``, or the text itself.

    Text that is no number is passed on unchanged, so the schema names it, as it would in YAML.
    """
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d*\.\d+", text):
        return float(text)
    return text


def _pairs(text: str) -> dict[str, Any]:
    """``woman=0.5, man=0.5`` (or ``;``-separated) as a mapping, values as numbers."""
    result: dict[str, Any] = {}
    for part in re.split(r"[;,]\s*(?=[^;,]*=)", text):
        if "=" in part:
            key, value = part.split("=", 1)
            result[key.strip()] = number(value)
        elif part.strip():
            result[part.strip()] = ""
    return result


def _where(text: str) -> dict[str, Any]:
    """``gender=woman; un_region=African|Asia-Pacific``: a value, or a list with ``|``."""
    result: dict[str, Any] = {}
    for part in text.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            values = [v.strip() for v in value.split("|") if v.strip()]
            result[key.strip()] = values if len(values) > 1 else (values[0] if values else "")
    return result


def _bounds(form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    share = form.get(f"{prefix}-unit") == "share"
    bounds: dict[str, Any] = {}
    for side in ("min", "max"):
        text = form.get(f"{prefix}-{side}", "").strip()
        if text:
            bounds[f"{side}_share" if share else side] = number(text)
    return bounds


def _ids(text: str) -> list[str]:
    return [i for i in re.split(r"[\s,;]+", text.strip()) if i]


def _indices(form: Mapping[str, str], letter: str) -> list[int]:
    found = {int(m.group(1)) for k in form if (m := re.fullmatch(rf"{letter}-(\d+)-\w+", k))}
    return sorted(found)


def apply_form(data: dict[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The scenario mapping with the criteria of the form laid over it (inputs kept)."""
    result = dict(data)
    result["name"] = form.get("name", "").strip() or data.get("name", "Unnamed scenario")
    result["board_size"] = number(form.get("board_size", ""))
    if form.get("seed", "").strip():
        result["seed"] = number(form["seed"])
    quotas: dict[str, dict[str, Any]] = {}
    for i in _indices(form, "q"):
        column, value = form.get(f"q-{i}-column", "").strip(), form.get(f"q-{i}-value", "").strip()
        bounds = _bounds(form, f"q-{i}")
        if column and (value or bounds):
            quotas.setdefault(column, {})[value] = bounds
    result["quotas"] = quotas
    groups = []
    for i in _indices(form, "g"):
        name, where = form.get(f"g-{i}-name", "").strip(), form.get(f"g-{i}-where", "").strip()
        bounds = _bounds(form, f"g-{i}")
        if name or where or bounds:
            groups.append({"name": name, "where": _where(where), **bounds})
    result["groups"] = groups
    caps: dict[str, Any] = {}
    for i in _indices(form, "c"):
        column, most = form.get(f"c-{i}-column", "").strip(), form.get(f"c-{i}-max", "").strip()
        if column:
            caps[column] = number(most)
    result["caps"] = caps
    result["include"] = _ids(form.get("include", ""))
    result["exclude"] = _ids(form.get("exclude", ""))
    targets: dict[str, Any] = {}
    weights: dict[str, Any] = {}
    for key, kind in form.items():
        if not key.startswith("t-"):
            continue
        column = key[2:]
        if kind in ("equal", "pool"):
            targets[column] = kind
        elif kind == "shares":
            targets[column] = _pairs(form.get(f"ts-{column}", ""))
        elif kind == "listed":
            listed = [v.strip() for v in re.split(r"[,;]", form.get(f"ts-{column}", ""))]
            targets[column] = {"equal": [v for v in listed if v]}
        weight = form.get(f"w-{column}", "").strip()
        if column in targets and weight and weight != "1":
            weights[column] = number(weight)
    result["targets"] = targets
    objective = dict(data.get("objective") or {})
    objective["weights"] = weights
    objective = {k: v for k, v in objective.items() if v not in ({}, None)}
    result["objective"] = objective
    return result


@dataclass
class Row:
    """One row of a table in the form (blank rows have empty fields)."""

    column: str = ""
    value: str = ""
    name: str = ""
    where: str = ""
    min: str = ""
    max: str = ""
    unit: str = "seats"


@dataclass
class FormRows:
    quotas: list[Row] = field(default_factory=list)
    groups: list[Row] = field(default_factory=list)
    caps: list[Row] = field(default_factory=list)
    targets: dict[str, tuple[str, str, str]] = field(default_factory=dict)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _row_bounds(bounds: Mapping[str, Any]) -> Row:
    share = "min_share" in bounds or "max_share" in bounds
    return Row(
        min=_text(bounds.get("min_share" if share else "min")),
        max=_text(bounds.get("max_share" if share else "max")),
        unit="share" if share else "seats",
    )


def form_rows(data: Mapping[str, Any], columns: list[str]) -> FormRows:
    """The scenario's criteria as rows of the form, with blank rows to add more."""
    rows = FormRows()
    quotas = data.get("quotas") or {}
    for column, values in quotas.items() if isinstance(quotas, dict) else ():
        for value, bounds in (values or {}).items():
            row = _row_bounds(bounds or {})
            row.column, row.value = str(column), str(value)
            rows.quotas.append(row)
    for group in data.get("groups") or []:
        row = _row_bounds(group)
        row.name = _text(group.get("name"))
        row.where = "; ".join(
            f"{k}={'|'.join(v) if isinstance(v, list) else v}"
            for k, v in (group.get("where") or {}).items()
        )
        rows.groups.append(row)
    caps = data.get("caps") or {}
    for column, most in caps.items() if isinstance(caps, dict) else ():
        rows.caps.append(Row(column=str(column), max=_text(most)))
    for table in (rows.quotas, rows.groups, rows.caps):
        table.extend(Row() for _ in range(EXTRA_ROWS))
    targets = data.get("targets") or {}
    weights = (data.get("objective") or {}).get("weights") or {}
    for column in dict.fromkeys([*columns, *targets]):
        rule = targets.get(column)
        weight = _text(weights.get(column, ""))
        if isinstance(rule, dict) and list(rule) == ["equal"]:  # equal: [a, b, c]
            listed = rule["equal"] if isinstance(rule["equal"], list) else [rule["equal"]]
            rows.targets[column] = ("listed", ", ".join(map(str, listed)), weight)
        elif isinstance(rule, dict):
            shares = ", ".join(f"{k}={v}" for k, v in rule.items())
            rows.targets[column] = ("shares", shares, weight)
        else:
            rows.targets[column] = (rule or "none", "", weight)
    return rows


@dataclass
class Check:
    """What the CLI would say about a scenario: its problems, or its criteria in words."""

    problems: list[str]
    sections: list[tuple[str, list[str]]]
    targets: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def scenario_file(data: dict[str, Any], path: Path) -> ScenarioFile:
    """The mapping as ``balancer`` would read it saved at ``path`` (raises InputError).

    Every view that reads the pool takes this file to :mod:`balancer.engine.load`, so the
    scenario's ``encoding``, sheet, id column and ``countries:`` file (next to ``path``) are
    honoured as the CLI honours them.
    """
    text = dump(data)
    scenario = parse_scenario_text(text, source=str(path.name))
    return ScenarioFile(scenario, path, hashlib.sha256(text.encode()).hexdigest())


def check(data: dict[str, Any], path: Path) -> Check:
    """Validate as ``balancer select`` would read this mapping saved at ``path``.

    The criteria in words are the public criteria page of ``balancer criteria``
    (:mod:`balancer.present.criteria`, from the scenario alone); the target seats are the ones
    this pool gives, from the checked problem.
    """
    try:
        file = scenario_file(data, path)
        scenario = file.scenario
        problem, _ = prepare(file)
    except InputError as error:
        return Check([str(p) for p in error.problems], [], [], [])
    commitment = Commitment(
        criteria_sha256=criteria_sha256(scenario),
        seed_source=scenario.seed_source,
        seed=None if scenario.seed_source else scenario.seed,
    )
    page = criteria_page(scenario, commitment)
    sections = [(section.title, list(section.lines)) for section in page.sections]
    targets = [
        t(
            "criteria.target_line",
            column=term.column,
            value=term.value,
            seats=_number(term.seats),
            share=_number(term.share),
            weight=_number(term.weight),
        )
        for term in problem.targets
    ]
    return Check([], sections, targets, list(problem.warnings))


def _number(value: Fraction) -> str:
    return f"{float(value):.3g}"
