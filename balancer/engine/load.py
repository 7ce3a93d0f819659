"""The one route from a convener's files to a checked problem.

Every command (select, validate, check, replace, compare, sweep, lottery, verify, export-sf)
starts here, so the scenario's ``columns``, ``aliases``, ``derive``, ``missing`` and ``multi``
are applied to a pool exactly once, in one order, whatever the command. A command that needs
the same pool under a changed scenario (replace fixes the kept members, alternatives look at
people rather than profiles) asks :func:`restate`, which reuses the prepared pool rather than
normalising it again (``columns:`` applied twice looks for headers that are gone).

A roster (``check``, ``replace``, ``compare ROSTER@S.yaml``) comes in through
:func:`read_roster`: it may be a list of ids, a roster balancer wrote, or a raw export with the
convener's own headers; ids found in the pool are matched to their pool rows, so the pool's
normalised values count, whatever the roster's own cells say.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from balancer.engine.problem import BalanceProblem, build_problem
from balancer.io import normalise
from balancer.io.files import (
    Pool,
    ScenarioFile,
    load_scenario,
    pool_from_frame,
    read_pool,
    unneutralise_cell,
)
from balancer.spec.errors import InputError, Problem, did_you_mean
from balancer.spec.progress import Progress, phase
from balancer.spec.scenario import Scenario

ScenarioInput = str | Path | ScenarioFile | Scenario


def read_source(file: ScenarioFile) -> Pool:
    """The pool a scenario file names, as read (sheet, encoding and id column as it says)."""
    spec = file.scenario
    ref = spec.pool_ref
    return read_pool(
        file.pool_path,
        id_column=ref.id_column or "id",
        sheet=ref.sheet,
        encoding=spec.encoding,
        header_row=ref.header_row,
    )


def read_prepared(file: ScenarioFile) -> normalise.Prepared:
    """The pool a scenario file names, read and normalised, before its rules are checked.

    The same reading (:func:`read_source`) and the same normalisation (``columns``, ``multi``,
    ``aliases``, ``derive``, ``missing``, a relative ``countries:`` file next to the scenario)
    as :func:`prepare`, without the checks of the criteria: a view of the pool while they are
    still being written (the web app's supply of values, its list of candidates) must show
    the pool as ``balancer validate`` would read it, even when the criteria are not valid yet.
    ``problems`` holds the reading's id problems as well as the normalisation's.
    """
    prepared = normalise.prepare_pool(file.scenario, read_source(file), str(file.path))
    return dataclasses.replace(prepared, problems=[*prepared.pool.problems, *prepared.problems])


def _resolve(
    scenario: ScenarioInput, pool: Pool | pd.DataFrame | None
) -> tuple[Scenario, ScenarioFile | None, Pool]:
    file = None
    if isinstance(scenario, str | Path):
        file = load_scenario(scenario)
    elif isinstance(scenario, ScenarioFile):
        file = scenario
    spec = file.scenario if file else scenario
    assert isinstance(spec, Scenario)
    if isinstance(pool, pd.DataFrame):
        pool = pool_from_frame(pool, id_column=spec.pool_ref.id_column or "id")
    if pool is None:
        if file is None:
            raise ValueError("give a pool when the scenario is not read from a file")
        pool = read_source(file)
    return spec, file, pool


def prepare(
    scenario: ScenarioInput,
    pool: Pool | pd.DataFrame | None = None,
    *,
    source: str | None = None,
    progress: Progress | None = None,
) -> tuple[BalanceProblem, ScenarioFile | None]:
    """Read and check everything; raises :class:`balancer.spec.errors.InputError` on bad input.

    ``source`` names the scenario in messages (and anchors a relative ``countries:`` file) when
    the scenario is given as an object rather than read from a file. ``progress`` hears the two
    phases, "read" (scenario and pool files) and "check".
    """
    with phase(progress, "read"):
        spec, file, table = _resolve(scenario, pool)
    named = str(file.path) if file else (source or "<scenario>")
    with phase(progress, "check"):
        return build_problem(spec, table, source=named), file


def restate(
    problem: BalanceProblem,
    scenario: Scenario | None = None,
    *,
    pool: Pool | None = None,
    source: str = "<scenario>",
    aggregate: bool = True,
) -> BalanceProblem:
    """The problem again for a changed scenario (or person by person), on the prepared pool.

    The pool is not normalised a second time: ``scenario`` may change the rules (include,
    exclude, bounds), not how the pool is read. ``pool`` replaces the prepared pool by one
    prepared the same way (the audit's pool plus the roster's outsiders).
    """
    table = pool if pool is not None else problem.pool
    assert table.normalised, "restate() takes a pool prepared by prepare()"
    return build_problem(scenario or problem.scenario, table, source=source, aggregate=aggregate)


# ---------------------------------------------------------------------------------------------
# Rosters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """A board as a convener gave it, matched to the pool.

    ``ids`` are in file order and spelled as the pool spells them; ``rows`` are their pool rows
    (``None`` for an id the pool does not hold). ``outsiders`` holds those other members' rows,
    normalised like the pool, when the caller accepts members from outside the pool.
    """

    path: Path
    sha256: str
    ids: list[str]
    rows: list[int | None]
    outsiders: pd.DataFrame | None = None

    @property
    def not_in_pool(self) -> list[str]:
        return [cid for cid, row in zip(self.ids, self.rows, strict=True) if row is None]


def _unquote(cid: str, known: set[str]) -> str:
    """An id as written before a spreadsheet-safe CSV put a ``'`` in front of it.

    The ``'`` balancer adds (before ``=``, ``+``, ``-``, ``@``) is always taken off; any other
    leading ``'`` only when the id without it is in the pool and the id with it is not (a
    spreadsheet that neutralised more than balancer does).
    """
    bare = unneutralise_cell(cid)
    if bare == cid and cid.startswith("'") and cid not in known and cid[1:] in known:
        return cid[1:]
    return bare


def id_choices(spec: Scenario, pool: Pool | None) -> list[str]:
    """The headers a roster may give its ids under, in order of preference."""
    raw = spec.pool_ref.id_column or "id"
    named = pool.id_column if pool is not None else spec.columns.get(raw, raw)
    return list(dict.fromkeys([named, raw, "id"]))


def read_roster(
    path: str | Path,
    problem: BalanceProblem | None,
    file: ScenarioFile,
    *,
    outsiders: bool = False,
) -> Roster:
    """Read a roster through the scenario's normalisation and match its ids to the pool.

    The ids may be under the pool's id header before or after ``columns:``, or under ``id``; a
    leading ``'`` that balancer's CSVs put before formula-like ids is taken off. Without
    ``outsiders`` every id must be in the pool (one problem per stranger, with a did-you-mean).
    With it, the other members are kept, normalised as the pool is (the roster's own headers
    mapped, aliased, derived), and must have every column the scenario's rules read. Without a
    ``problem`` (no pool file) every member is an outsider.
    """
    spec = file.scenario
    choices = id_choices(spec, problem.pool if problem else None)
    table = read_pool(path, id_column=None, sheet=None, id_choices=choices)
    name = str(path)
    if table.id_column not in choices:  # none of them: read_pool checked no ids
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    "has no id column",
                    "name the column of ids "
                    + " or ".join(f"'{c}'" for c in choices)
                    + "; the roster's columns are "
                    + ", ".join(f"'{c}'" for c in table.table.columns[:12]),
                )
            ]
        )
    known: dict[str, int] = (
        {str(cid): row for row, cid in enumerate(problem.ids.tolist())} if problem else {}
    )
    cells = table.table[table.id_column].astype(str)
    ids = [_unquote(cid, set(known)) for cid in cells.tolist()]
    problems = list(table.problems)
    rows: list[int | None] = [known.get(cid) for cid in ids]
    strangers = [cid for cid, row in zip(ids, rows, strict=True) if row is None]
    if strangers and not outsiders:
        problems += [
            Problem(name, cid, "is not an id in the pool", did_you_mean(cid, known))
            for cid in strangers
        ]
    if problems:
        raise InputError(problems)
    extra = None
    if strangers:
        unquoted = table.table.assign(**{table.id_column: ids})
        pool = dataclasses.replace(table, table=unquoted)
        extra = _outsider_rows(pool, [r is None for r in rows], file, problem, name)
    return Roster(Path(path), table.sha256, ids, rows, extra)


def _outsider_rows(
    roster: Pool,
    strange: list[bool],
    file: ScenarioFile,
    problem: BalanceProblem | None,
    name: str,
) -> pd.DataFrame:
    """The roster's members from outside the pool, normalised as the pool is.

    The roster may be a raw export (the convener's headers) or already use the scenario's names
    (a roster balancer wrote): only the keys whose columns the roster has are applied, so each
    is applied once to whichever form it is in.
    """
    spec = file.scenario
    headers = set(roster.table.columns)
    columns = {h: n for h, n in spec.columns.items() if h in headers}
    names = {columns.get(h, h) for h in headers}
    local = spec.model_copy(
        update={
            "columns": columns,
            "aliases": {c: a for c, a in spec.aliases.items() if c in names},
            "missing": {c: m for c, m in spec.missing.items() if c in names},
            "multi": {c: m for c, m in spec.multi.items() if c in names},
            "derive": {t: c for t, c in spec.derive.items() if c in names},
            "include": [],
            "exclude": [],
        }
    )
    mask = np.array(strange, dtype=bool)
    labels = roster.source_rows if roster.source_rows is not None else np.arange(len(mask)) + 2
    only = dataclasses.replace(
        roster,
        table=roster.table[mask].reset_index(drop=True),
        source_rows=labels[mask],
        problems=(),
    )
    prepared = normalise.prepare_pool(local, only, str(file.path))
    problems = list(prepared.problems)
    table = prepared.pool.table
    id_column = prepared.pool.id_column
    target = problem.pool.id_column if problem else id_choices(spec, None)[0]
    for column in spec.criteria_columns():
        if column not in table.columns:
            problems.append(
                Problem(
                    name,
                    f"column '{column}'",
                    "is missing; the scenario's criteria read it for the members not in the pool",
                    f"add a '{column}' column (write 'unknown' where it is not known)",
                )
            )
    dropped = set(only.table[only.id_column]) - set(table[id_column])
    problems += [
        Problem(name, cid, "is left out by a missing: exclude policy", "fill in its empty cells")
        for cid in sorted(dropped)
    ]
    if problems:
        raise InputError(problems)
    table = table.rename(columns={id_column: target})
    if problem is not None:
        columns_wanted = list(problem.pool.table.columns)
        absent = [c for c in columns_wanted if c not in table.columns]
        table = table.assign(**dict.fromkeys(absent, "")).reindex(columns=columns_wanted)
    return table


def with_roster(problem: BalanceProblem, roster: Roster, source: str) -> BalanceProblem:
    """The problem on the pool plus the roster's outsiders (who may stay but not come in)."""
    if roster.outsiders is None or roster.outsiders.empty:
        return problem
    pool = problem.pool
    table = pd.concat([pool.table, roster.outsiders], ignore_index=True)
    combined = dataclasses.replace(pool, table=table, source_rows=None)
    return restate(problem, pool=combined, source=source)


def roster_as_pool(roster: Roster, file: ScenarioFile) -> Pool:
    """A roster (every member an outsider, normalised) as the pool, when no pool is available."""
    assert roster.outsiders is not None
    return Pool(
        table=roster.outsiders.reset_index(drop=True),
        path=roster.path,
        sha256=roster.sha256,
        id_column=id_choices(file.scenario, None)[0],
        normalised=True,
    )
