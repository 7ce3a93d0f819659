"""A selection run: solve, recount, explain, and the files a run writes.

The CLI's ``select`` and ``validate`` and the facade :mod:`balancer.api` call this module.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from balancer import explain
from balancer.engine.load import ScenarioInput, prepare
from balancer.engine.problem import BalanceProblem
from balancer.engine.solve import Solution, default_workers, solve
from balancer.io.files import Pool, ScenarioFile, load_scenario, safe_csv, write_files
from balancer.io.provenance import provenance
from balancer.selection import alternatives as second_choices
from balancer.selection.public import redact
from balancer.selection.report import (
    Report,
    StageTiming,
    Timings,
    render_html,
    render_markdown,
)
from balancer.spec.criteria import Commitment, criteria_sha256, seed_from_text
from balancer.spec.errors import InputError, Problem, did_you_mean
from balancer.spec.normalisation import COLUMNS as NORMALISATION_COLUMNS
from balancer.spec.outcomes import SolveStatus
from balancer.spec.progress import Progress, phase
from balancer.spec.scenario import Scenario


@dataclass
class Result:
    """A selection: the report, the roster table, and the problem and solution behind them."""

    report: Report
    problem: BalanceProblem
    solution: Solution

    @property
    def status(self) -> str:
        return self.report.status

    @property
    def roster_ids(self) -> list[str]:
        return list(self.report.roster)

    @property
    def roster(self) -> pd.DataFrame:
        """The selected rows with every pool column, in pool order."""
        return self.problem.pool.table.iloc[self.solution.rows].reset_index(drop=True)

    def published(self, public: bool = False) -> Report:
        """The report as it is written: the full one, or the redacted public variant."""
        return redact(self.report) if public else self.report

    def markdown(self, public: bool = False) -> str:
        people = None if public else named_people(self)
        return render_markdown(self.published(public), public_members(self), people)

    def html(self, public: bool = False) -> str:
        people = None if public else named_people(self)
        return render_html(self.published(public), public_members(self), people)

    def files(self, public: bool = False, excel: bool = False) -> dict[str, str]:
        """The output files by name, ready to be written together.

        The public variant's roster holds only the columns that reports show per member.
        """
        report = self.published(public)
        members = public_members(self)
        people = None if public else named_people(self)
        files = {
            "report.json": report.model_dump_json(indent=2) + "\n",
            "report.md": render_markdown(report, members, people),
            "report.html": render_html(report, members, people),
        }
        if not public:
            files["normalisation.csv"] = normalisation_csv(self.report)
        if self.report.status in {"optimal", "feasible"}:
            roster = pd.DataFrame(members) if public else self.roster
            files["roster.csv"] = safe_csv(roster)
            if excel or self.problem.scenario.excel:  # a BOM: Excel then reads UTF-8, not ANSI
                files["roster.csv"] = "\ufeff" + files["roster.csv"]
        return files

    def write(self, out_dir: str | Path, public: bool = False, excel: bool = False) -> list[Path]:
        """Write every output file atomically into ``out_dir`` (created if missing)."""
        return write_files(Path(out_dir), self.files(public, excel))


def normalisation_csv(report: Report) -> str:
    """The normalisation record as CSV (internal: it quotes raw cells), formulas neutralised."""
    rows = [
        {**value.model_dump(), "count": str(value.count), "country_iso3": value.country_iso3 or ""}
        for value in report.normalisation
    ]
    return safe_csv(pd.DataFrame(rows, columns=list(NORMALISATION_COLUMNS)))


def named_people(result: Result) -> Mapping[str, str]:
    """Id to name for every candidate in the pool (internal variant: names next to ids).

    Empty when the pool has no ``name`` column or lists it as sensitive.
    """
    problem = result.problem
    table = problem.pool.table
    if "name" not in table.columns or "name" in problem.scenario.sensitive:
        return {}
    return _PoolNames(table[problem.pool.id_column], table["name"], result.solution.rows)


class _PoolNames(Mapping[str, str]):
    """Id to name over the whole pool, built only when a report asks for a non-member.

    A report names mostly the board's members; a dict of a million-row pool's names cost half
    a second and a hundred megabytes per run that looked up a dozen of them. The members'
    names are looked up at once; any other id (a why-not answer, an alternate, a board of the
    alternatives) builds the full dict on first use, so every lookup answers as that dict did.
    """

    def __init__(self, ids: pd.Series, names: pd.Series, rows: Sequence[int]) -> None:
        self._ids, self._names = ids, names
        self._members = {str(ids.iat[int(r)]): str(names.iat[int(r)]) for r in rows}
        self._all: dict[str, str] | None = None

    def _full(self) -> dict[str, str]:
        if self._all is None:
            # Lists, not the Series: iterating Arrow-backed strings cell by cell is slower.
            ids = self._ids.astype(str).tolist()
            self._all = dict(zip(ids, self._names.astype(str).tolist(), strict=True))
        return self._all

    def __getitem__(self, key: str) -> str:
        # Ids are unique in any pool a board was selected from (a repeated id is refused), so
        # a member's name is the one the full dict would hold.
        if self._all is None and key in self._members:
            return self._members[key]
        return self._full()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())

    def __bool__(self) -> bool:
        return len(self._ids) > 0


def public_members(result: Result) -> list[dict[str, str]]:
    """Per-member rows for reports: the id, then the scenario's ``show:`` columns in its order,
    or by default the name if any and the non-sensitive model columns.

    Sensitive columns are left out here too, although ``show:`` naming one is refused when the
    scenario is checked: a public roster must not depend on that check alone.
    """
    problem = result.problem
    table = problem.pool.table
    sensitive = set(problem.scenario.sensitive)
    shown = [problem.pool.id_column]
    chosen = problem.scenario.show
    if chosen is not None:
        shown += [c for c in chosen if c not in sensitive and c not in shown and c in table]
    else:
        if "name" in table.columns and "name" not in sensitive:
            shown.append("name")
        shown += [c for c in problem.model_columns if c not in sensitive and c not in shown]
    return [
        {column: str(table[column].iat[row]) for column in shown} for row in result.solution.rows
    ]


def select(
    scenario: ScenarioInput,
    pool: Pool | pd.DataFrame | None = None,
    *,
    workers: int | None = None,
    time_limit: float | None = None,
    command: str | None = None,
    explain_board: bool = True,
    why_not: Sequence[str] = (),
    alternatives: int = 0,
    min_difference: int = 1,
    alternates: int = 0,
    progress: Progress | None = None,
    seed_text: str | None = None,
    on_board: Callable[[Result], object] | None = None,
) -> Result:
    """Select the best board for a scenario; infeasible scenarios come back diagnosed.

    ``seed_text`` is a public text announced in advance: the seed becomes its SHA-256 (see
    :mod:`balancer.spec.criteria`) instead of the scenario's ``seed``, so the convener cannot
    try seeds until one gives a preferred board. The report cites the commitment (the
    criteria's canonical SHA-256, the pool's SHA-256, the seed text and seed).

    With ``explain_board`` (the default) the report prices every tight rule and gives every
    member a reason, which takes further solves; ``why_not`` names candidates to explain.
    ``alternatives`` asks for that many best boards pairwise ``min_difference`` members apart,
    ``alternates`` for an ordered list of candidates to call (see
    :mod:`balancer.selection.alternatives`). ``progress`` hears every phase: read, check,
    solve, diagnose (when no board exists) and explain.

    ``on_board`` is called with the board and its recount (or the diagnosis) as soon as they
    are known, before the optional analyses, so a caller can write them first: whatever the
    explanation does later, the board is already safe on disk.
    """
    started = time.perf_counter()
    scenario, committed = _committed(scenario, seed_text)
    problem, file = prepare(scenario, pool, progress=progress)
    _check_candidates(problem, why_not)
    second_choices.check_options(problem, alternatives, min_difference, alternates)
    read = time.perf_counter()
    solution = solve(
        problem, workers=workers or default_workers(), time_limit=time_limit, progress=progress
    )
    solved = time.perf_counter()
    report = build_report(problem, solution, file, command=command, progress=progress)
    report.commitment = committed.model_copy(update={"pool_sha256": problem.pool.sha256})
    if on_board is not None:
        report.timings = _timings(started, read, solved, solved, solution)
        on_board(Result(report=report.model_copy(deep=True), problem=problem, solution=solution))
    if explain_board and solution.status == "optimal":
        report.explanation = explain.explain(
            problem, solution, report.constraints, why_not_ids=why_not, progress=progress
        )
    if alternatives and solution.status == "optimal":
        report.alternatives = second_choices.alternatives(
            problem, alternatives, min_difference, workers=workers
        )
    if alternates and solution.status in {"optimal", "feasible"}:
        report.alternates = second_choices.alternates(problem, solution.rows, alternates)
    report.timings = _timings(started, read, solved, time.perf_counter(), solution)
    return Result(report=report, problem=problem, solution=solution)


def _timings(
    started: float, read: float, solved: float, finished: float, solution: Solution
) -> Timings:
    return Timings(
        read=read - started,
        build=solution.build_seconds,
        solve=solution.seconds,
        explain=finished - solved,
        total=finished - started,
        stages=[StageTiming(**vars(stage)) for stage in solution.stages],
    )


def _committed(scenario: ScenarioInput, seed_text: str | None) -> tuple[ScenarioInput, Commitment]:
    """The scenario to solve (its seed taken from ``seed_text`` if given) and its commitment.

    The commitment is of the scenario as written and committed, before the seed is replaced.
    """
    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario)
    spec = scenario.scenario if isinstance(scenario, ScenarioFile) else scenario
    assert isinstance(spec, Scenario)
    seed = spec.seed if seed_text is None else seed_from_text(seed_text)
    committed = Commitment(
        criteria_sha256=criteria_sha256(spec),
        seed_source=spec.seed_source,
        seed_text=seed_text,
        seed=seed,
    )
    if seed_text is None:
        return scenario, committed
    seeded = spec.model_copy(update={"seed": seed})
    if isinstance(scenario, ScenarioFile):
        return dataclasses.replace(scenario, scenario=seeded), committed
    return seeded, committed


def _check_candidates(problem: BalanceProblem, candidates: Sequence[str]) -> None:
    if not candidates:
        return
    found = set(problem.ids[problem.ids.isin(list(candidates))])
    problems = [
        Problem("--why-not", cid, "is not an id in the pool", did_you_mean(cid, problem.ids))
        for cid in candidates
        if cid not in found
    ]
    if problems:
        raise InputError(problems)


def build_report(
    problem: BalanceProblem,
    solution: Solution,
    file: ScenarioFile | None,
    *,
    command: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Assemble the report from an independent recount of the board."""
    has_board = solution.status in {"optimal", "feasible"} and bool(solution.rows)
    rows = solution.rows if has_board else None
    scenario = problem.scenario
    diagnosis = None
    if solution.status == "infeasible":
        with phase(progress, "diagnose"):
            diagnosis = explain.diagnose(problem, scenario.relax_limits)
    return Report(
        scenario=scenario.name,
        scenario_about=scenario.about,
        labels=dict(scenario.labels),
        status=solution.status,
        board_size=problem.board_size,
        roster=[] if rows is None else [str(problem.ids.iat[r]) for r in rows],
        objective=explain.balance(problem, rows) if rows is not None else None,
        unique=solution.unique,
        constraints=explain.rule_outcomes(problem, rows),
        composition=explain.composition(problem, rows),
        diagnosis=diagnosis,
        supply=explain.supply(problem, rows),
        warnings=problem.warnings,
        normalisation=list(problem.pool.normalisation),
        provenance=provenance(
            file,
            problem.pool,
            command=command,
            seed=scenario.seed,
            tie_break=scenario.objective.tie_break,
            workers=solution.workers,
            candidates=len(problem.pool.table),
            profiles=len(problem.profiles),
        ),
        timings=Timings(),
    )


def validate(
    scenario: ScenarioInput,
    pool: Pool | pd.DataFrame | None = None,
    *,
    progress: Progress | None = None,
) -> Result:
    """Check inputs and whether any board exists, without optimising the balance.

    ``progress`` hears read, check, "feasibility" and, when no board exists, diagnose.
    """
    problem, file = prepare(scenario, pool, progress=progress)
    with phase(progress, "feasibility"):
        feasible = explain.minimal_conflict(problem, problem.rules) is None
    status = SolveStatus.FEASIBLE if feasible else SolveStatus.INFEASIBLE
    solution = Solution(status=status, rows=[])
    report = build_report(problem, solution, file, progress=progress)
    report.roster = []
    report.objective = None
    return Result(report=report, problem=problem, solution=solution)
