"""Sweeps: the same scenario solved at every combination of a few varied keys.

A convener asks "what if the board had 13 seats, or SIDS needed one seat fewer?" many times
over; a sweep answers all of them at once. Every point is an independent selection, so the
points run side by side on any :class:`concurrent.futures.Executor` (processes on this
machine by default, or a Dask cluster's executor), each solver on one thread. Points are
cached by the hash of what decides their answer (scenario file, pool file, the point), so a
rerun after adding a value to a range solves only the new points.

Explanation is off for sweep points: only the gaps, the roster and, for a point with no
board, the conflict that rules it out are kept.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import escape
from pydantic import BaseModel, ValidationError

from balancer.io.files import (
    Pool,
    ScenarioFile,
    load_scenario,
    pydantic_problems,
    safe_csv,
    write_files,
)
from balancer.io.provenance import Provenance, provenance, versions
from balancer.spec.errors import InputError, Problem
from balancer.spec.progress import SILENT, Progress, phase
from balancer.spec.scenario import Scenario

Value = int | str
"""A value of a varied key: a whole number, or text as typed (shares such as 0.45 stay exact)."""

_RANGE = re.compile(r"\s*([-+]?\d+)\s*\.\.\s*([-+]?\d+)\s*")
_INT = re.compile(r"[-+]?\d+")
MAX_POINTS = 100_000
"""More points than this is almost surely a typo in a range (1..100000)."""


@dataclass(frozen=True)
class Vary:
    """One varied key: a dotted path into the scenario mapping and the values it takes."""

    key: str
    values: tuple[Value, ...]


def _value(text: str) -> Value:
    text = text.strip()
    return int(text) if _INT.fullmatch(text) else text


def parse_vary(spec: str) -> Vary:
    """``KEY=A..B`` (whole numbers, both ends included) or ``KEY=v1,v2,...``."""
    key, sep, values = spec.partition("=")
    key = key.strip()
    where = f"--vary {spec}"
    if not sep or not key or not values.strip():
        raise InputError(
            [Problem(where, "", "expected KEY=RANGE", "e.g. board_size=9..15 or seed=1,2,3")]
        )
    if any(not part for part in key.split(".")):
        raise InputError([Problem(where, key, "has an empty part", "write keys as a.b.c")])
    if key.split(".")[0] in {"pool", "id_column"}:
        # The pool is read and hashed once per sweep; points differ in the scenario only.
        raise InputError([Problem(where, key, "cannot be varied", "sweep one pool at a time")])
    matched = _RANGE.fullmatch(values)
    if matched:
        lo, hi = int(matched.group(1)), int(matched.group(2))
        if lo > hi:
            raise InputError([Problem(where, values, f"{lo} is above {hi}", "write low..high")])
        if hi - lo >= MAX_POINTS:
            raise InputError([Problem(where, values, "is too long a range")])
        return Vary(key, tuple(range(lo, hi + 1)))
    items = [v.strip() for v in values.split(",")]
    if any(not v for v in items):
        raise InputError([Problem(where, values, "has an empty value", "remove the extra comma")])
    if len(set(items)) != len(items):
        raise InputError([Problem(where, values, "repeats a value", "list each value once")])
    return Vary(key, tuple(_value(v) for v in items))


def points(varies: Sequence[Vary]) -> list[dict[str, Value]]:
    """Every combination, the last key varying fastest (the order of the output table)."""
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        raise InputError(
            [Problem("--vary", k, "is varied twice", "give it once") for k in repeated]
        )
    combos = itertools.product(*(v.values for v in varies))
    found = [dict(zip(keys, combo, strict=True)) for combo in combos]
    if len(found) > MAX_POINTS:
        raise InputError([Problem("--vary", "", f"{len(found)} points is too many")])
    return found


def set_path(mapping: dict[str, Any], key: str, value: Value) -> None:
    """Set a dotted key, creating the mappings on the way (the scenario checks the result)."""
    parts = key.split(".")
    node = mapping
    for position, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            done = ".".join(parts[: position + 1])
            raise InputError([Problem("--vary", key, f"'{done}' is not a mapping")])
        node = child
    node[parts[-1]] = value


def scenario_at(base: Scenario, point: Mapping[str, Value], source: str) -> Scenario:
    """The base scenario with the point's keys set; bad keys or values are input errors."""
    raw = base.model_dump(mode="json", exclude_none=True, exclude_unset=True)
    for key, value in point.items():
        set_path(raw, key, value)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        at = ", ".join(f"{k}={v}" for k, v in point.items())
        problems = pydantic_problems(exc, f"{source} at {at}", Scenario)
        raise InputError(problems) from None


class PointResult(BaseModel):
    """What one point gave: the gaps and roster, or the conflict that leaves no board."""

    point: dict[str, Value]
    status: str
    max_gap: float | None = None
    total_gap: float | None = None
    max_gap_exact: str | None = None
    total_gap_exact: str | None = None
    roster: list[str] = []
    conflict: str | None = None  # shortages, and each minimal conflict as "rule + rule + ..."
    seconds: float = 0.0
    cached: bool = False
    key: str = ""


class SweepResult(BaseModel):
    """Every point of a sweep, in the order of :func:`points`, with provenance."""

    scenario: str
    keys: list[str]
    results: list[PointResult]
    provenance: Provenance
    seconds: float
    solved: int
    cached: int


def point_key(scenario_sha256: str, pool_sha256: str, point: Mapping[str, Value]) -> str:
    """The cache key: every input that decides a point's answer, hashed."""
    balancer_version, solver_version = versions()
    text = json.dumps(
        {
            "scenario": scenario_sha256,
            "pool": pool_sha256,
            "point": sorted((k, v if isinstance(v, int) else str(v)) for k, v in point.items()),
            "balancer": balancer_version,
            "solver": solver_version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def solve_point(scenario: Scenario, pool: Pool, point: dict[str, Value]) -> PointResult:
    """Solve one point (in a worker process or on a Dask worker; top level, so it pickles).

    The same solve as ``select`` without explanation, but only the figures a sweep shows are
    recounted (the report's composition and supply tables cost more than the solve on small
    pools); a point with no board gets the report's diagnosis.
    """
    import time

    from balancer import explain
    from balancer.engine.load import prepare
    from balancer.engine.solve import solve

    started = time.perf_counter()
    problem, _ = prepare(scenario, pool)  # the point's prepared pool: not normalised again
    solution = solve(problem, workers=1)
    has_board = solution.status in {"optimal", "feasible"} and bool(solution.rows)
    objective = explain.balance(problem, solution.rows) if has_board else None
    conflict = None
    if solution.status == "infeasible":
        diagnosis = explain.diagnose(problem, scenario.relax_limits)
        lines = [f"shortage: {s}" for s in diagnosis.shortages]
        lines += [" + ".join(c.rules) for c in diagnosis.conflicts]
        conflict = "; ".join(lines) or "no board meets every criterion"
    ids = problem.ids
    return PointResult(
        point=point,
        status=solution.status,
        max_gap=objective.max_gap if objective else None,
        total_gap=objective.total_gap if objective else None,
        max_gap_exact=objective.max_gap_exact if objective else None,
        total_gap_exact=objective.total_gap_exact if objective else None,
        roster=[str(ids.iat[r]) for r in solution.rows] if has_board else [],
        conflict=conflict,
        seconds=time.perf_counter() - started,
    )


def run_sweep(
    scenario_path: str | Path,
    varies: Sequence[Vary],
    *,
    executor: Executor | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    command: str | None = None,
) -> SweepResult:
    """Solve every point; ``executor`` defaults to a process pool on all cores.

    Every point not in the cache is checked before anything is solved, so a bad range fails
    in one go with every problem. ``progress`` hears read, check and the "sweep" phase, a
    step as each point finishes (cached points count as done at once).
    """
    import time
    from concurrent.futures import ProcessPoolExecutor

    reporter = progress or SILENT
    started = time.perf_counter()
    from balancer.engine.load import read_source

    with phase(reporter, "read"):
        file = load_scenario(scenario_path)
        pool = read_source(file)
    grid = points(varies)
    keys = [point_key(file.sha256, pool.sha256, p) for p in grid]
    results: list[PointResult | None] = [_cached(cache_dir, k) for k in keys]
    todo = [i for i, r in enumerate(results) if r is None]
    # A cached point was checked when it was solved (its key covers scenario, pool and point).
    with phase(reporter, "check"):
        prepared, problems = _check_points(file, pool, [grid[i] for i in todo])
    if problems:
        raise InputError(problems)
    point_of = dict(zip(todo, prepared, strict=True))
    total, done = len(grid), len(grid) - len(todo)
    reporter.start("sweep", total)
    reporter.step("sweep", done, total, "points")
    own = executor is None and len(todo) > 0
    pool_executor: Executor | None = executor or (ProcessPoolExecutor() if own else None)
    try:
        if todo:
            assert pool_executor is not None
            futures: dict[Future[PointResult], int] = {
                pool_executor.submit(solve_point, *point_of[i], grid[i]): i for i in todo
            }
            for future in as_completed(futures):
                i = futures[future]
                answer = future.result()
                answer.key = keys[i]
                results[i] = answer
                if cache_dir is not None:
                    write_files(cache_dir, {f"{keys[i]}.json": answer.model_dump_json()})
                done += 1
                reporter.step("sweep", done, total, "points")
    finally:
        reporter.end("sweep")
        if own and pool_executor is not None:
            pool_executor.shutdown()
    final = [r for r in results if r is not None]
    return SweepResult(
        scenario=file.scenario.name,
        keys=[v.key for v in varies],
        results=final,
        provenance=provenance(file, pool, command=command),
        seconds=time.perf_counter() - started,
        solved=len(todo),
        cached=len(grid) - len(todo),
    )


def _check_points(
    file: ScenarioFile, pool: Pool, grid: Sequence[dict[str, Value]]
) -> tuple[list[tuple[Scenario, Pool]], list[Problem]]:
    """Each point's scenario and its prepared pool; every problem, each said once.

    Each point goes the one route (:func:`balancer.engine.load.prepare`) from the pool as read,
    since a point may change how the pool is read (an alias, say); the prepared pool then
    travels to the worker, which does not normalise it again.
    """
    from balancer.engine.load import prepare

    prepared: list[tuple[Scenario, Pool]] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for point in grid:
        try:
            scenario = scenario_at(file.scenario, point, str(file.path))
            checked, _ = prepare(scenario, pool, source=str(file.path))
        except InputError as error:
            for problem in error.problems:
                if str(problem) not in seen:
                    seen.add(str(problem))
                    problems.append(problem)
            continue
        prepared.append((scenario, checked.pool))
    return prepared, problems


def _cached(cache_dir: Path | None, key: str) -> PointResult | None:
    if cache_dir is None:
        return None
    path = cache_dir / f"{key}.json"
    if not path.is_file():
        return None
    try:
        result = PointResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, OSError):
        return None  # a damaged cache entry is solved again, never trusted
    if result.key != key:
        return None
    return result.model_copy(update={"cached": True})


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------


def table(sweep: SweepResult) -> pd.DataFrame:
    """One row per point: the varied keys, status, gaps, the conflict, and the roster."""
    rows = []
    for result in sweep.results:
        row: dict[str, Any] = {key: result.point[key] for key in sweep.keys}
        row |= {
            "status": result.status,
            "max_gap": "" if result.max_gap is None else round(result.max_gap, 6),
            "total_gap": "" if result.total_gap is None else round(result.total_gap, 6),
            "conflict": result.conflict or "",
            "roster": " ".join(result.roster),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(sweep: SweepResult) -> str:
    frame = table(sweep).drop(columns=["roster"])
    header = list(frame.columns)
    lines = [
        f"# Sweep: {_md_cell(sweep.scenario)}",
        "",
        f"{len(sweep.results)} points ({sweep.solved} solved, {sweep.cached} from the cache); "
        f"scenario SHA-256 `{sweep.provenance.scenario_sha256}`, "
        f"pool SHA-256 `{sweep.provenance.pool_sha256}`.",
        "",
        "| " + " | ".join(_md_cell(h) for h in header) + " |",
        "|" + "---|" * len(header),
    ]
    for record in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in record) + " |")
    return "\n".join(lines) + "\n"


_PALETTE = ["#0b6bb3", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666"]


def chart(sweep: SweepResult) -> str:
    """SVG: largest and total gap against the first varied key, one line per other setting.

    Infeasible points are red crosses on the axis, with their conflict in a tooltip title.
    The x axis is categorical (values in the order given), so lists of words work as well.
    """
    first = sweep.keys[0]
    xs: list[Value] = list(dict.fromkeys(r.point[first] for r in sweep.results))
    others = sweep.keys[1:]
    series: dict[str, list[PointResult]] = {}
    for result in sweep.results:
        label = ", ".join(f"{k}={result.point[k]}" for k in others) or "gaps"
        series.setdefault(label, []).append(result)
    panels = [("largest gap", "max_gap"), ("total gap", "total_gap")]
    width, panel_h, left, right, top = 760, 220, 60, 20, 30
    legend_h = 16 * min(len(series), 24) + 10
    height = top + len(panels) * (panel_h + 50) + legend_h
    e = _escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{e('Gaps against ' + ', '.join(sweep.keys))}</title>",
    ]
    span = width - left - right

    def x_of(value: Value, line: int | None = None) -> float:
        """The x of a value; a line's points are nudged so equal lines stay visible."""
        nudge = 0.0 if line is None else (line - (len(series) - 1) / 2) * 2.5
        return left + (span * (xs.index(value) + 0.5) / len(xs)) + nudge

    for number, (title, attribute) in enumerate(panels):
        y0 = top + number * (panel_h + 50)
        values = [getattr(r, attribute) for r in sweep.results if getattr(r, attribute) is not None]
        peak = max(values, default=0.0) or 1.0

        def y_of(value: float, y0: int = y0, peak: float = peak) -> float:
            return y0 + panel_h - panel_h * value / (peak * 1.1)

        parts.append(f'<text x="{left}" y="{y0 - 8}" font-weight="bold">{e(title)}</text>')
        parts.append(
            f'<line x1="{left}" y1="{y0 + panel_h}" x2="{width - right}" y2="{y0 + panel_h}" '
            'stroke="#333"/>'
            f'<line x1="{left}" y1="{y0}" x2="{left}" y2="{y0 + panel_h}" stroke="#333"/>'
        )
        for tick in (0.0, peak / 2, peak):
            parts.append(
                f'<text x="{left - 6}" y="{y_of(tick) + 4:.1f}" text-anchor="end">'
                f"{e(f'{tick:.3g}')}</text>"
            )
        for value in xs:
            parts.append(
                f'<text x="{x_of(value):.1f}" y="{y0 + panel_h + 14}" text-anchor="middle">'
                f"{e(value)}</text>"
            )
        parts.append(
            f'<text x="{width / 2:.0f}" y="{y0 + panel_h + 30}" text-anchor="middle">'
            f"{e(first)}</text>"
        )
        for index, (label, results) in enumerate(series.items()):
            colour = _PALETTE[index % len(_PALETTE)]
            coords = [
                (x_of(r.point[first], index), y_of(getattr(r, attribute)))
                for r in results
                if getattr(r, attribute) is not None
            ]
            if len(coords) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                )
            for r in results:
                x = x_of(r.point[first], index)
                if getattr(r, attribute) is None:
                    tip = e(f"{label}, {first}={r.point[first]}: {r.status}: {r.conflict or ''}")
                    yb = y0 + panel_h
                    parts.append(
                        f'<g class="infeasible"><title>{tip}</title>'
                        f'<path d="M{x - 4:.1f},{yb - 4} l8,8 m0,-8 l-8,8" stroke="#c00" '
                        'stroke-width="2"/></g>'
                    )
                    continue
                y = y_of(getattr(r, attribute))
                tip = e(f"{label}, {first}={r.point[first]}: {getattr(r, attribute):.4g}")
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                    f"<title>{tip}</title></circle>"
                )
    y = top + len(panels) * (panel_h + 50)
    for index, label in enumerate(list(series)[:24]):
        colour = _PALETTE[index % len(_PALETTE)]
        parts.append(
            f'<rect x="{left}" y="{y + 16 * index}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + 16}" y="{y + 16 * index + 9}">{e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _escape(value: object) -> str:
    return str(escape(str(value)))


def html(sweep: SweepResult) -> str:
    """A self-contained page: the chart inline, then the table (every cell escaped)."""
    frame = table(sweep).drop(columns=["roster"])
    head = "".join(f"<th>{_escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_escape(v)}</td>" for v in record) + "</tr>"
        for record in frame.itertuples(index=False)
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Sweep: {_escape(sweep.scenario)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:1rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>"
        f"</head><body><h1>Sweep: {_escape(sweep.scenario)}</h1>"
        f"<p>{len(sweep.results)} points; {sweep.solved} solved, {sweep.cached} from the cache."
        f"</p>{chart(sweep)}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n"
    )


def files(sweep: SweepResult) -> dict[str, str]:
    """The output files by name, for :func:`balancer.io.files.write_files`."""
    return {
        "sweep.csv": safe_csv(table(sweep)),
        "sweep.md": markdown(sweep),
        "sweep.json": sweep.model_dump_json(indent=2) + "\n",
        "sweep.svg": chart(sweep),
        "sweep.html": html(sweep),
    }


def iter_statuses(sweep: SweepResult) -> Iterator[tuple[str, int]]:
    """(status, how many points) for the summary line."""
    counts: dict[str, int] = {}
    for result in sweep.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    yield from sorted(counts.items())


__all__ = ["PointResult", "SweepResult", "Vary", "parse_vary", "points", "run_sweep"]
