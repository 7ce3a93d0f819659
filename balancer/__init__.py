"""balancer: select boards, panels and assemblies that meet every quota and are as balanced as
possible, provably, reproducibly, and with a report that explains every criterion.

The library API is :mod:`balancer.api` (``balancer.select``, ``balancer.validate`` and the
rest are the same functions); the ``balancer`` command is a thin shell over it. Names are
loaded on first use, so ``balancer --help`` does not import the solver.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from balancer.api import (
        InputError,
        Problem,
        Result,
        load_scenario,
        read_pool,
        select,
        validate,
    )

__all__ = ["InputError", "Problem", "Result", "load_scenario", "read_pool", "select", "validate"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("balancer.api"), name)
    raise AttributeError(f"module 'balancer' has no attribute {name!r}")
