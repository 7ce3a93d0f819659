"""The Sortition Foundation's features/people pair, in and out, through the one route.

Import turns a pair into a scenario (the quotas written out, so a convener can add targets,
groups or caps to them; ``min_flex``/``max_flex`` become ``relax_limits``); export writes the
pair for a scenario (the ``relax_limits`` of its quotas become ``min_flex``/``max_flex``
again), so a panel can be handed to tools that read only that format. Both check what they
write through :func:`balancer.engine.load.prepare`, exactly as ``balancer validate`` would.
The CLI's ``import-sf`` and ``export-sf`` only call these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from balancer.engine.load import prepare
from balancer.engine.problem import seats_from_bounds
from balancer.explain.infeasible import movable
from balancer.io.files import Pool, parse_scenario_text, read_pool, safe_csv
from balancer.io.formats import sortition_foundation as sf
from balancer.io.formats import text as text_format
from balancer.io.formats.sortition_foundation import Quotas
from balancer.spec.errors import InputError, Problem
from balancer.spec.rules import Kind, Rule


def import_pair(
    features: Path, people: Path, *, size: int, target: Path, id_column: str | None, seed: int
) -> tuple[str, list[str]]:
    """The scenario text for a pair, after checking it as :command:`balancer validate` would,
    and what the user should know about it (the flex, if any)."""

    table = sf.read_feature_table(features)
    quotas = table.quotas
    limits = table.relax_limits(size)
    notes = []
    if limits:
        notes.append(
            f"min_flex/max_flex of {len(table.flex)} feature value(s) written as relax_limits "
            f"({len(limits)} rule(s)): the smallest fix of an infeasible panel lowers a min "
            "no further than its min_flex and raises a max no further than its max_flex"
        )
    pool = read_pool(people, id_column=id_column or _id_column(people))
    unlisted = _unlisted_values(pool, quotas, features)
    if unlisted:
        raise InputError(unlisted)
    relative = os.path.relpath(people.resolve(), target.resolve().parent)
    text = sf.scenario_yaml(
        name=f"{features.stem} ({people.name})",
        board_size=size,
        pool=Path(relative).as_posix(),
        id_column=pool.id_column,
        quotas=quotas,
        seed=seed,
        relax_limits=limits,
    )
    scenario = parse_scenario_text(text, source=str(target))
    prepare(scenario, pool, source=str(features))  # every mismatch, before writing
    return text, notes


def _unlisted_values(pool: Pool, quotas: Quotas, features: Path) -> list[Problem]:
    """People whose value of a feature the features file does not list.

    The Sortition Foundation's tools refuse such a person; balancer would quietly leave their
    value unconstrained, so the imported panel would not be the one the pair describes. The
    column itself missing is left to the scenario check, which names it with a did-you-mean.
    """
    problems = []
    for feature, values in quotas.items():
        if feature not in pool.table.columns:
            continue
        cells = pool.table[feature].to_numpy(dtype=object)
        unlisted = {str(c) for c in cells if c not in values and c != ""}  # empty: checked later
        for value in sorted(unlisted):
            rows = [i for i, c in enumerate(cells) if c == value]
            where = ", ".join(pool.row_label(i) for i in rows[:3])
            more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
            problems.append(
                Problem(
                    str(pool.path or "people"),
                    f"column '{feature}'",
                    f"has the value '{value}' ({where}{more}), which {features.name} does not "
                    f"list for {feature}",
                    f"add a row '{feature},{value},MIN,MAX' to {features.name}, or correct "
                    "those cells",
                )
            )
    return problems


def _id_column(people: Path) -> str:
    """``id`` if the people file has it, else the Sortition Foundation's ``nationbuilder_id``."""

    decoded = text_format.decode(people.read_bytes(), str(people)) if people.is_file() else None
    first = decoded.text.split("\n", 1)[0] if decoded else ""
    header = [h.strip().strip('"') for h in first.split(decoded.delimiter if decoded else ",")]
    return "nationbuilder_id" if "id" not in header and "nationbuilder_id" in header else "id"


def export_pair(scenario_path: Path) -> tuple[dict[str, str], list[str]]:
    """features.csv and people.csv for a scenario, and what the format cannot say."""

    problem, _ = prepare(scenario_path)
    s = problem.scenario
    lost = [
        f"{key} is not part of the format and is left out"
        for key in ("groups", "caps", "targets", "include", "exclude")
        if getattr(s, key)
    ]
    bounds: dict[str, dict[str, tuple[int, int]]] = {}
    table = problem.pool.table
    for column, values in s.quotas.items():
        seats = {v.strip(): seats_from_bounds(b, s.board_size) for v, b in values.items()}
        present = sorted(str(v) for v in table[column].unique())
        # The format lists every value a person may have; unlisted ones are unbounded.
        bounds[column] = {v: seats.get(v, (0, s.board_size)) for v in present}
        bounds[column].update({v: b for v, b in seats.items() if v not in bounds[column]})
    people = table[[problem.pool.id_column, *[c for c in bounds if c != problem.pool.id_column]]]
    flex = _flex(problem.rules, bounds, s.board_size, s.relax_limits) if s.relax_limits else None
    files = {"features.csv": sf.features_csv(bounds, flex), "people.csv": safe_csv(people)}
    return files, lost


def _flex(
    rules: Sequence[Rule],
    bounds: Mapping[str, Mapping[str, tuple[int, int]]],
    board_size: int,
    limits: Mapping[str, int],
) -> dict[tuple[str, str], tuple[int, int]]:
    """``min_flex``/``max_flex`` per feature value: how far the smallest fix may move it.

    The inverse of :meth:`balancer.io.formats.sortition_foundation.Features.relax_limits`: a
    quota rule may move by what :func:`balancer.explain.infeasible.movable` allows it, so its
    min may fall to ``min - moves`` and its max rise to ``max + moves``; a bound that makes no
    rule (a min of 0, a max of the board) cannot move.
    """
    quota = {Kind.QUOTA_MIN: "min", Kind.QUOTA_MAX: "max"}
    moves = {
        (rule.column, rule.value, quota[rule.kind]): movable(rule, board_size, limits)
        for rule in rules
        if rule.kind in quota
    }
    flex = {}
    for feature, values in bounds.items():
        for value, (lo, hi) in values.items():
            down = moves.get((feature, value, "min"), 0)
            up = moves.get((feature, value, "max"), 0)
            flex[(feature, value)] = (max(0, lo - down), hi + up)
    return flex
