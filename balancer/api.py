"""The library API in one place: what the CLI and a notebook user call.

>>> import balancer
>>> result = balancer.select("scenarios/sounding-board.yaml")
>>> result.status, result.roster_ids[:3]

Each entry point lives in its layer's package (see the README's module table); this module
only gathers them, so ``from balancer import api`` is all a caller needs.
"""

from __future__ import annotations

from balancer.decide.audit import audit
from balancer.decide.compare import compare, compare_arguments
from balancer.decide.replace import replace
from balancer.decide.sweep import run_sweep
from balancer.engine.load import ScenarioInput, prepare
from balancer.fair.run import run_lottery
from balancer.io.files import load_scenario, read_pool
from balancer.selection.run import Result, select, validate
from balancer.spec.errors import InputError, Problem

__all__ = [
    "InputError",
    "Problem",
    "Result",
    "ScenarioInput",
    "audit",
    "compare",
    "compare_arguments",
    "load_scenario",
    "prepare",
    "read_pool",
    "replace",
    "run_lottery",
    "run_sweep",
    "select",
    "validate",
]
