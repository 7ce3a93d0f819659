"""The one route from a convener's files to a checked problem.

Every command (select, validate, check, replace, compare, sweep, lottery, verify) starts here,
so the scenario's ``columns``, ``aliases``, ``derive``, ``missing`` and ``multi`` are applied
to a pool exactly once, in one order, whatever the command.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from balancer.engine.problem import BalanceProblem, build_problem
from balancer.io.files import Pool, ScenarioFile, load_scenario, pool_from_frame, read_pool
from balancer.spec.progress import Progress, phase
from balancer.spec.scenario import Scenario

ScenarioInput = str | Path | ScenarioFile | Scenario


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
    ref = spec.pool_ref
    if isinstance(pool, pd.DataFrame):
        pool = pool_from_frame(pool, id_column=ref.id_column or "id")
    if pool is None:
        if file is None:
            raise ValueError("give a pool when the scenario is not read from a file")
        pool = read_pool(
            file.pool_path, id_column=ref.id_column or "id", sheet=ref.sheet, encoding=spec.encoding
        )
    return spec, file, pool


def prepare(
    scenario: ScenarioInput,
    pool: Pool | pd.DataFrame | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[BalanceProblem, ScenarioFile | None]:
    """Read and check everything; raises :class:`balancer.spec.errors.InputError` on bad input.

    ``progress`` hears the two phases, "read" (scenario and pool files) and "check".
    """
    with phase(progress, "read"):
        spec, file, table = _resolve(scenario, pool)
    source = str(file.path) if file else "<scenario>"
    with phase(progress, "check"):
        return build_problem(spec, table, source=source), file
