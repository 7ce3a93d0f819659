"""The LP relaxation of a pricing model, used as a fast exact shortcut.

Pricing asks for the allowed composition with the greatest weighted seat count. On quota
scenarios the LP relaxation of that integer program nearly always has a whole-number optimum
(165 of 172 pricing questions on a 200-person pool with six attributes), and a whole-number
optimum of the relaxation is an optimum of the integer program. GLOP answers in about 1 ms
where the CP-SAT search, which branches down to every one of hundreds of seat counts, takes
6-50 ms. When the relaxation's optimum is fractional the caller asks CP-SAT; a whole-number
answer is also re-checked against every constraint in integers before it is trusted.

The relaxation is only offered for models made of plain linear constraints (no enforcement
literals, no other constraint types, interval domains): otherwise dropping a constraint would
make an answer that is not a board look optimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

INTEGRAL = 1e-6  # an LP value this close to a whole number counts as that number


@dataclass(frozen=True)
class _Row:
    lo: int
    hi: int
    variables: tuple[int, ...]
    coefficients: tuple[int, ...]


class Relaxation:
    """GLOP over the linear constraints of a CP-SAT model; only the objective changes."""

    def __init__(
        self,
        solver: pywraplp.Solver,
        variables: list[pywraplp.Variable],
        rows: list[_Row],
        bounds: list[tuple[int, int]],
    ) -> None:
        self._solver = solver
        self._variables = variables
        self._rows = rows
        self._bounds = bounds
        self.solves = 0

    @classmethod
    def of(cls, model: cp_model.CpModel) -> Relaxation | None:
        """The relaxation of ``model``, or None when it has anything but plain linear rows."""
        proto = model.proto
        bounds: list[tuple[int, int]] = []
        for variable in proto.variables:
            domain = list(variable.domain)
            if len(domain) != 2:
                return None
            bounds.append((domain[0], domain[1]))
        rows: list[_Row] = []
        for constraint in proto.constraints:
            if len(constraint.enforcement_literal) or not constraint.has_linear():
                return None
            linear = constraint.linear
            domain = list(linear.domain)
            if len(domain) != 2:
                return None
            rows.append(_Row(domain[0], domain[1], tuple(linear.vars), tuple(linear.coeffs)))
        solver = pywraplp.Solver.CreateSolver("GLOP")
        assert solver is not None
        infinity = solver.infinity()
        variables = [solver.NumVar(lo, hi, f"v{i}") for i, (lo, hi) in enumerate(bounds)]
        for row in rows:
            constraint = solver.Constraint(
                max(row.lo, -infinity) if row.lo > cp_model.INT_MIN else -infinity,
                row.hi if row.hi < cp_model.INT_MAX else infinity,
            )
            for v, a in zip(row.variables, row.coefficients, strict=True):
                constraint.SetCoefficient(variables[v], a)
        return cls(solver, variables, rows, bounds)

    def maximize(self, objective: Mapping[int, float]) -> list[int] | None:
        """A whole-number optimum of ``sum objective[v] x v`` that meets every row, or None.

        None means "ask the integer solver": the LP optimum was fractional, or the LP did not
        end optimal, or rounding it broke a row (not expected; checked all the same).
        """
        self.solves += 1
        goal = self._solver.Objective()
        goal.Clear()
        for v, weight in objective.items():
            goal.SetCoefficient(self._variables[v], weight)
        goal.SetMaximization()
        if self._solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        values = []
        for variable in self._variables:
            value = variable.solution_value()
            whole = round(value)
            if abs(value - whole) > INTEGRAL:
                return None
            values.append(whole)
        if not self._meets_every_row(values):
            return None
        return values

    def _meets_every_row(self, values: list[int]) -> bool:
        if any(not lo <= x <= hi for x, (lo, hi) in zip(values, self._bounds, strict=True)):
            return False
        for row in self._rows:
            total = sum(values[v] * a for v, a in zip(row.variables, row.coefficients, strict=True))
            if not row.lo <= total <= row.hi:
                return False
        return True
