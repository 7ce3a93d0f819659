"""balancer: select boards, panels and assemblies that meet every quota and are as balanced as
possible, provably, reproducibly, and with a report that explains every criterion.

The library API is :func:`select` and :func:`validate`; the ``balancer`` command is a thin
shell over them.
"""

from balancer.api import Result, select, validate
from balancer.errors import InputError, Problem
from balancer.io import load_scenario, read_pool

__all__ = ["InputError", "Problem", "Result", "load_scenario", "read_pool", "select", "validate"]
