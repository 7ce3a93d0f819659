"""The LP relaxation of the lean model: fast pricing, and often the whole fair lottery.

A *composition* (seats per profile) is a whole-number point of the polytope ``P`` cut out by
the lean model's linear rows. Its LP relaxation helps in two exact ways.

Pricing. The composition with the greatest weighted seat count is an integer program; when
the LP relaxation's optimum is whole it is also the integer optimum. On quota scenarios it
nearly always is (165 of 172 pricing questions on a 200-person pool with six attributes), and
GLOP answers in about 1 ms where CP-SAT, which branches down every one of hundreds of seat
counts, takes 6-50 ms. A fractional optimum sends the question to CP-SAT.

The whole lottery. Every distribution over boards gives a seat vector inside ``P``, so the
leximin (or maximin) vector over ``P``, a handful of small LPs, is an upper bound. When that
point of ``P`` splits into whole-number vertices (:func:`decompose`, Caratheodory's steps),
those boards achieve the bound, so they are an optimal lottery, with no search at all.
When the split stops short (a face with no whole point), the caller prices the missing
boards towards the same levels, seeded with the boards found so far.

Only models made of plain linear rows (no enforcement literals, no other constraint types,
interval domains) get a relaxation: dropping a constraint could make a non-board look best.
Every whole-number answer is re-checked against every row in integers before it is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from balancer.engine.solve import new_solver, status_of
from balancer.spec.progress import SILENT, Progress

INTEGRAL = 1e-6  # an LP value this close to a whole number counts as that number
TIGHT = 1e-7  # a row or bound this close to its limit is tight (for the face of a point)
DRIFT = 1e-8  # a face row drifted further than this (a tenth of TIGHT) is corrected (snap)
LEVEL = 1e-9  # leximin: a dual or a level difference below this is zero
HAIR = 1e-9  # a fixed leximin level sits this far below the level found (GLOP tolerances)
VERTEX_TRIES = 3  # GLOP objectives tried per Caratheodory step before CP-SAT (see decompose)


@dataclass(frozen=True)
class Polytope:
    """``lo <= A x <= hi``, ``lower <= x <= upper``: the linear part of a CP-SAT model."""

    matrix: np.ndarray  # int64, rows x variables
    lo: np.ndarray  # float, -inf when open
    hi: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, model: cp_model.CpModel) -> Polytope | None:
        """The polytope of ``model``, or None when it has anything but plain linear rows."""
        proto = model.proto
        lower, upper = [], []
        for variable in proto.variables:
            domain = list(variable.domain)
            if len(domain) != 2:
                return None
            lower.append(domain[0])
            upper.append(domain[1])
        matrix = np.zeros((len(proto.constraints), len(lower)), dtype=np.int64)
        lo, hi = [], []
        for r, constraint in enumerate(proto.constraints):
            if len(constraint.enforcement_literal) or not constraint.has_linear():
                return None
            linear = constraint.linear
            domain = list(linear.domain)
            if len(domain) != 2:
                return None
            for v, a in zip(linear.vars, linear.coeffs, strict=True):
                matrix[r, v] += a
            lo.append(-np.inf if domain[0] <= cp_model.INT_MIN else domain[0])
            hi.append(np.inf if domain[1] >= cp_model.INT_MAX else domain[1])
        return cls(
            matrix,
            np.array(lo, dtype=float),
            np.array(hi, dtype=float),
            np.array(lower, dtype=float),
            np.array(upper, dtype=float),
        )

    @cached_property
    def real(self) -> np.ndarray:
        """The matrix as floats, for the split's products (exact: the entries are small)."""
        real: np.ndarray = self.matrix.astype(float)
        return real

    @cached_property
    def span(self) -> np.ndarray:
        """How far one seat moved from one variable to another can change each row, at most."""
        top = np.maximum(self.matrix.max(axis=1, initial=0), 0)
        bottom = np.minimum(self.matrix.min(axis=1, initial=0), 0)
        spread: np.ndarray = (top - bottom).astype(float)
        return spread

    def contains(self, point: np.ndarray) -> bool:
        """Whether a whole-number point meets every row and bound, in exact integers."""
        whole = point.astype(np.int64)
        if np.any(whole < self.lower) or np.any(whole > self.upper):
            return False
        seats = self.matrix @ whole
        return bool(np.all(seats >= self.lo) and np.all(seats <= self.hi))

    def glop(self) -> tuple[pywraplp.Solver, list[pywraplp.Variable], list[pywraplp.Constraint]]:
        """A GLOP model of the polytope, with no objective yet."""
        solver = pywraplp.Solver.CreateSolver("GLOP")
        assert solver is not None
        infinity = solver.infinity()

        def finite(value: float) -> float:
            return value if np.isfinite(value) else (infinity if value > 0 else -infinity)

        variables = [
            solver.NumVar(finite(lo), finite(hi), f"v{i}")
            for i, (lo, hi) in enumerate(zip(self.lower, self.upper, strict=True))
        ]
        rows = []
        for r in range(len(self.matrix)):
            row = solver.Constraint(finite(self.lo[r]), finite(self.hi[r]), f"r{r}")
            for v in np.flatnonzero(self.matrix[r]):
                row.SetCoefficient(variables[v], float(self.matrix[r, v]))
            rows.append(row)
        return solver, variables, rows


def _whole(values: np.ndarray) -> np.ndarray | None:
    rounded = np.round(values)
    if np.any(np.abs(values - rounded) > INTEGRAL):
        return None
    return rounded


class Relaxation:
    """GLOP over a model's polytope; between questions only the objective changes."""

    def __init__(self, polytope: Polytope) -> None:
        self.polytope = polytope
        self._solver, self._variables, self._rows = polytope.glop()
        self._response = linear_solver_pb2.MPSolutionResponse()
        self._held: tuple[set[int], set[int]] = (set(), set())  # rows, bounds held by a face
        self._optimal = False  # did the last solve end optimal?
        self.path: list[np.ndarray] = []  # the point at the start of each step of the last split

    @classmethod
    def of(cls, model: cp_model.CpModel) -> Relaxation | None:
        polytope = Polytope.of(model)
        return None if polytope is None else cls(polytope)

    def maximize(self, objective: Mapping[int, float]) -> tuple[list[int] | None, float]:
        """A whole-number optimum of ``sum objective[v] x v``, and a proven upper bound.

        The optimum is None ("ask the integer solver") when the LP's optimum was fractional,
        or the LP did not end optimal, or rounding broke a row (checked all the same). The
        bound holds for every whole-number point, whatever the LP's tolerances: see
        :meth:`_bound`. When it is no better than what the caller already has, no search is
        needed to know that.
        """
        weights = np.zeros(len(self._variables))
        for v, weight in objective.items():
            weights[v] = weight
        found = self._vertex(weights)
        # Without an optimum GLOP has no duals (it logs an error for each row asked and
        # answers 0): zero prices, which still give a valid, if weak, bound.
        duals = (
            np.array([row.dual_value() for row in self._rows])
            if self._optimal
            else np.zeros(len(self._rows))
        )
        bound = self._bound(weights, duals)
        return (None if found is None else [int(v) for v in found]), bound

    def _bound(self, weights: np.ndarray, duals: np.ndarray) -> float:
        """Weak LP duality with any row prices ``u``: ``w.x = (w - A'u).x + u.Ax``.

        Over the box of bounds and the row ranges each part is maximised term by term, so the
        sum bounds ``w.x`` for every point of the polytope; GLOP's duals make it tight. A
        relative margin of 1e-12 covers the rounding of the sums.
        """
        poly = self.polytope
        reduced = weights - duals @ poly.matrix
        with np.errstate(invalid="ignore"):  # inf x 0 for an open side with no price
            box = np.where(reduced > 0, reduced * poly.upper, reduced * poly.lower)
            rows = np.where(duals > 0, duals * poly.hi, duals * poly.lo)
        terms = np.concatenate([box[reduced != 0], rows[duals != 0]])
        if not np.all(np.isfinite(terms)):
            return float("inf")
        return float(terms.sum() + 1e-12 * (1.0 + np.abs(terms).sum()))

    def _vertex(self, weights: np.ndarray) -> np.ndarray | None:
        goal = self._solver.Objective()
        goal.Clear()
        variables = self._variables
        nonzero = np.flatnonzero(weights)
        for v, weight in zip(nonzero.tolist(), weights[nonzero].tolist(), strict=True):
            goal.SetCoefficient(variables[v], weight)
        goal.SetMaximization()
        self._optimal = self._solver.Solve() == pywraplp.Solver.OPTIMAL
        if not self._optimal:
            return None
        found = _whole(self._values())
        if found is None or not self.polytope.contains(found):
            return None
        return found

    def _values(self) -> np.ndarray:
        """The last solution, read in one call (per-variable calls were a tenth of a split)."""
        self._solver.FillSolutionResponseProto(self._response)
        return np.array(self._response.variable_value, dtype=float)

    def decompose(
        self, point: np.ndarray, *, exchange: bool = False, last: bool = False
    ) -> tuple[list[np.ndarray], bool]:
        """Whole-number vertices whose convex hull holds ``point``, found by Caratheodory steps.

        Each step takes a vertex ``v`` of the smallest face holding the current point ``r``
        (the rows and bounds tight at ``r`` held as equalities) and moves ``r`` away from
        ``v`` until a new row or bound is tight, so the face loses a dimension and at most
        ``dim + 1`` steps are needed. The vertex maximises ``r`` itself (a vertex leaning the
        way ``r`` leans leaves a long step); when it is fractional, fixed pseudo-random
        objectives are tried (``VERTEX_TRIES`` in all), then CP-SAT looks for any whole point
        of the face. A GLOP vertex costs 1-2 ms and a CP-SAT search 5-17 ms, and a second
        random objective is often whole where the first was not: with three tries instead of
        two the CP-SAT searches fell from 48 to 26 at 250 profiles and from 58 to 25 on
        sortition-algorithms' fixture, and the leximin split took 0.8-1.0 s instead of
        0.9-1.3 s. Where the split stops short, the caller prices the rest (``_reach`` in
        :mod:`balancer.fair.columns`), so which faces the tries lead to no longer decides
        between seconds and minutes. Returns the vertices found and whether the split
        finished. The weights are left to the master LP.

        Any whole point of the face serves a step, vertex or not (the step still ends on a
        new tight row or bound). With ``exchange``, the previous board with one seat moved
        (:func:`_exchange`) is tried before GLOP. Where profiles are people, a leximin split
        takes about a step per profile (250-500 steps on the held-out 400- and 700-candidate
        pools), and each new face differs from the last board's by the one or two bounds or
        rows the step made tight, which one moved seat mends in about half of the steps, at a
        fraction of a GLOP vertex's cost. The split took 0.6-1.3 s there instead of 1.9-4.7 s.
        Maximin's split, a few dozen steps on low faces, keeps its GLOP vertices (and its
        boards).

        The point at the start of each step is kept in ``path``: the point is a mix of the
        vertices before step ``i`` and ``path[i]``, so another split of ``path[i]`` can take
        over from there (``_reach`` in :mod:`balancer.fair.columns`).

        With ``exchange`` (leximin's splits), GLOP runs without presolve, and pricing, after
        the split, with it again. Each step changes only the objective and a few bounds, so
        without presolve GLOP starts from the last basis, and a step cost less (x400/35
        seed 13, one run: 303 steps in 0.54 s against 314 in 0.67 s). Which vertices it
        gives changes too, so where the split goes does, and that cuts both ways: over the
        40 pools of ``benchmarks/bench_lottery.py`` (two rounds, with and without
        ``include:``) leximin took 41.7-43.6 s in all instead of 45.3-50.1 s; 1.0 s instead
        of 1.75 s on x400/35 seed 13 with an ``include:`` and 1.0-1.5 s instead of 2.4-3.3 s
        on a held-out 450/40 pool with one, but 0.95-1.06 s instead of 0.50-0.65 s on the
        250/30 pool and 1.45-1.56 s instead of 0.60-0.72 s on x300/25 seed 21 with an
        ``include:``. Maximin's split and pricing keep presolve: for all of them at once,
        maximin took 31 s instead of 0.3 s on a 500-candidate pool with an ``include:`` (its
        split stopped short, and maximin has no second split).
        """
        poly = self.polytope
        current = point.astype(float).copy()
        vertices: list[np.ndarray] = []
        noise = np.random.default_rng(0)
        self.path = []
        if exchange:
            self._solver.SetSolverSpecificParametersAsString("use_preprocessing: false")
        try:
            for _ in range(len(current) + 2):
                self.path.append(current)
                whole = _whole(current)
                if whole is not None and poly.contains(whole):
                    vertices.append(whole)
                    return vertices, True
                face = _Face.at(poly, current)
                current = face.snap(poly, current)
                vertex = None
                if exchange and vertices:
                    vertex = _exchange(poly, face, vertices[-1], last=last)
                if vertex is None:
                    self._restrict_to_face(face)
                    for attempt in range(VERTEX_TRIES):
                        goal = current if attempt == 0 else noise.random(len(current))
                        vertex = self._vertex(goal)
                        if vertex is not None:
                            break
                if vertex is None:
                    vertex = _face_point(poly, face, current)
                if vertex is None:
                    return vertices, False
                vertices.append(vertex)
                direction = current - vertex
                if np.max(np.abs(direction)) <= TIGHT:
                    return vertices, True
                current = current + _longest_step(poly, face, current, direction) * direction
            return vertices, False
        finally:
            self._restore()
            if exchange:
                self._solver.SetSolverSpecificParametersAsString("")

    def _restrict_to_face(self, face: _Face) -> None:
        """Hold every row and bound of the face at its limit.

        Faces only shrink along a split, so what an earlier step held stays held at the same
        limit; only the new rows and bounds are set (setting them all again at every step
        was a tenth of a split's time at 250 profiles).
        """
        rows, bounds = self._held
        for r, value in zip(face.rows.tolist(), face.row_limits.tolist(), strict=True):
            if r not in rows:
                self._rows[r].SetBounds(value, value)
                rows.add(r)
        for v, value in zip(face.variables.tolist(), face.variable_limits.tolist(), strict=True):
            if v not in bounds:
                self._variables[v].SetBounds(value, value)
                bounds.add(v)

    def _restore(self) -> None:
        poly = self.polytope
        infinity = self._solver.infinity()
        rows, bounds = self._held
        for r in sorted(rows):
            lo, hi = poly.lo[r], poly.hi[r]
            self._rows[r].SetBounds(
                lo if np.isfinite(lo) else -infinity, hi if np.isfinite(hi) else infinity
            )
        for v in sorted(bounds):
            self._variables[v].SetBounds(poly.lower[v], poly.upper[v])
        self._held = (set(), set())


@dataclass(frozen=True)
class _Face:
    """The rows and bounds tight at a point (ascending indices), each with its limit."""

    rows: np.ndarray
    row_limits: np.ndarray
    variables: np.ndarray
    variable_limits: np.ndarray

    @classmethod
    def at(cls, poly: Polytope, point: np.ndarray) -> _Face:
        rows, row_limits = _tight(poly.real @ point, poly.lo, poly.hi)
        variables, variable_limits = _tight(point, poly.lower, poly.upper)
        return cls(rows, row_limits, variables, variable_limits)

    def held(self, poly: Polytope) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Row limits with the face's rows pinned, and which variables it fixes and where."""
        lo, hi = poly.lo.copy(), poly.hi.copy()
        lo[self.rows] = self.row_limits
        hi[self.rows] = self.row_limits
        fixed = ~self.free(len(poly.lower))
        at = np.zeros(len(poly.lower))
        at[self.variables] = self.variable_limits
        return lo, hi, fixed, at

    def free(self, size: int) -> np.ndarray:
        """Which of ``size`` variables the face leaves free, as a mask."""
        free = np.ones(size, dtype=bool)
        free[self.variables] = False
        return free

    def snap(self, poly: Polytope, point: np.ndarray) -> np.ndarray:
        """The point moved onto the face exactly, undoing the drift of earlier steps.

        Bounds are set; the rows get the least-squares correction of the other variables
        (each step scales old rounding errors by ``1 + t``, so without this they grow). The
        correction is a dense least-squares solve, cubic in the profiles (100 ms a step at
        900 profiles, most of a decomposition), and the drift is nearly always far below
        ``TIGHT``, so it runs only when some row has drifted by more than ``DRIFT``.
        """
        snapped = point.copy()
        snapped[self.variables] = self.variable_limits
        free = self.free(len(point))
        if len(self.rows) and free.any():
            error = self.row_limits - poly.real[self.rows] @ snapped
            if np.abs(error).max() > DRIFT:
                block = poly.real[np.ix_(self.rows, np.flatnonzero(free))]
                snapped[free] += np.linalg.lstsq(block, error, rcond=None)[0]
        return snapped


def _tight(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indices at a limit, with that limit: within ``TIGHT``, or drifted past it."""
    at_hi = values >= hi - TIGHT
    at_lo = ~at_hi & (values <= lo + TIGHT)
    index = np.flatnonzero(at_hi | at_lo)
    return index, np.where(at_hi, hi, lo)[index]


def _exchange(
    poly: Polytope, face: _Face, board: np.ndarray, *, last: bool = False
) -> np.ndarray | None:
    """A whole point of the face one moved seat away from ``board``, or None.

    ``board`` is the last step's board: it meets every row and bound of the polytope and of
    the previous face, so only the one or two the last step made tight can be off. The
    first of them names one end of the move (the variable to empty or to fill, or a member
    of the row to mend); the moves from or to it are checked, one end at a time, against
    the rows a single move can break (``Polytope.span``), the face's rows held at their
    limits, and the first that fits (in index order) is checked again in exact integers.
    None sends the step to GLOP, as do more than two rows and bounds off. With ``last`` the
    order is reversed (the last end, the last member, the last fit): another split of the
    same point, for when the first leaves the hull of the boards (see ``_reach``).

    Why the first fit: the choice decides where the split goes, and on some pools whether
    it reaches a face with no whole point early (the rest is then priced, ``_reach``). Of
    four rules tried on the 14 benchmark pools (lean the way the current point leans, as
    the GLOP vertex does; the opposite; the largest move; the first fit), the first fit
    had the fewest pools with a long tail of pricing (2 against 3-4) and the simplest code.
    """
    lo, hi, fixed, at = face.held(poly)
    seats = poly.real @ board
    wrong = np.flatnonzero(fixed & (board != at))
    off = np.flatnonzero((seats < lo) | (seats > hi))
    if not 0 < len(wrong) + len(off) <= 2:
        return None
    loses = np.flatnonzero((board >= poly.lower + 1) & (~fixed | (board > at)))
    gains = np.flatnonzero((board <= poly.upper - 1) & (~fixed | (board < at)))
    if len(wrong) == 2:  # the move must be from the one above its bound to the one below
        high, low = wrong if board[wrong[0]] > at[wrong[0]] else wrong[::-1]
        if not board[high] > at[high] or not board[low] < at[low]:
            return None
        ends = [(np.array([high]), np.array([low]))]
    elif len(wrong):
        first = np.array([wrong[0]])
        ends = [(first, gains)] if board[first[0]] > at[first[0]] else [(loses, first)]
    else:
        row = poly.matrix[off[0]]
        ends = [(loses[row[loses] != 0], gains), (loses, gains[row[gains] != 0])]
    critical = np.flatnonzero((seats - poly.span < lo) | (seats + poly.span > hi))
    block = poly.real[critical]
    low, high = lo[critical] - seats[critical], hi[critical] - seats[critical]
    for out, into in ends[::-1] if last else ends:
        targets = block[:, into]
        for p in out[::-1].tolist() if last else out.tolist():
            change = targets - block[:, p, None]
            fits = np.all((change >= low[:, None]) & (change <= high[:, None]), axis=0)
            if fits.any():
                moved = board.copy()
                moved[p] -= 1
                hits = np.flatnonzero(fits)
                moved[into[hits[-1] if last else hits[0]]] += 1
                return moved if _on_face(poly, face, moved) else None
    return None


def _on_face(poly: Polytope, face: _Face, point: np.ndarray) -> bool:
    """Whether a whole-number point is a board of the face, in exact integers."""
    whole = point.astype(np.int64)
    if np.any(whole[face.variables] != face.variable_limits):
        return False
    if np.any(poly.matrix[face.rows] @ whole != face.row_limits):
        return False
    return poly.contains(point)


def _face_point(poly: Polytope, face: _Face, near: np.ndarray) -> np.ndarray | None:
    """A whole-number point of the face, from CP-SAT, or None when the face has none.

    Used when GLOP's vertices of the face are fractional. Any whole point of the face will
    do for a Caratheodory step, so this is a feasibility search from a hint near ``near``
    (an objective only slowed it down). Only the
    variables the face leaves free enter the model (late faces have few); the fixed ones
    are folded into the row limits.
    """
    fixed = np.zeros(len(near))
    fixed[face.variables] = face.variable_limits
    free = np.flatnonzero(face.free(len(near))).tolist()
    limit = dict(zip(face.rows.tolist(), face.row_limits.tolist(), strict=True))
    model = cp_model.CpModel()
    lower, upper = poly.lower.astype(int).tolist(), poly.upper.astype(int).tolist()
    xs = [model.new_int_var(lower[v], upper[v], f"x{v}") for v in free]
    settled = poly.matrix @ fixed
    block = poly.matrix[:, free]  # the rows over the free variables only
    for r in np.flatnonzero(block.any(axis=1)).tolist():
        columns = np.flatnonzero(block[r]).tolist()
        total = cp_model.LinearExpr.weighted_sum(
            [xs[i] for i in columns], block[r, columns].tolist()
        )
        if r in limit:
            model.add(total == int(limit[r] - settled[r]))
            continue
        if np.isfinite(poly.lo[r]):
            model.add(total >= int(poly.lo[r] - settled[r]))
        if np.isfinite(poly.hi[r]):
            model.add(total <= int(poly.hi[r] - settled[r]))
    hint = np.clip(np.round(near[free]), poly.lower[free], poly.upper[free]).astype(int).tolist()
    for x, value in zip(xs, hint, strict=True):  # start the search at the nearest whole point
        model.add_hint(x, value)
    solver = new_solver(1, presolve=False)
    # A deterministic limit, not a wall-clock one: the boards found must not depend on the
    # machine's speed. Running out only sends the lottery to column generation.
    solver.parameters.max_deterministic_time = 10.0
    if not status_of(solver.solve(model)).has_board:
        return None
    found = fixed.copy()
    found[free] = [solver.value(x) for x in xs]
    return found if poly.contains(found) else None


def _longest_step(poly: Polytope, face: _Face, point: np.ndarray, direction: np.ndarray) -> float:
    """The largest ``t >= 0`` keeping ``point + t direction`` inside the polytope.

    The face's own rows and bounds are skipped: the point and the vertex both sit on them,
    so the direction only carries rounding there.
    """
    limits = [np.inf]
    rows = np.ones(len(poly.matrix), dtype=bool)
    rows[face.rows] = False
    bounds = face.free(len(point))
    for values, moves, lo, hi, open_ in (
        (poly.real @ point, poly.real @ direction, poly.lo, poly.hi, rows),
        (point, direction, poly.lower, poly.upper, bounds),
    ):
        up = open_ & (moves > TIGHT)
        down = open_ & (moves < -TIGHT)
        with np.errstate(invalid="ignore"):
            limits.extend(((hi[up] - values[up]) / moves[up]).tolist())
            limits.extend(((lo[down] - values[down]) / moves[down]).tolist())
    return max(0.0, min(limits))


def settled(
    free: set[int],
    duals: Mapping[int, float],
    probability: Sequence[float] | Mapping[int, float],
) -> set[int]:
    """The free profiles a converged maximin round fixes at its level.

    A positive dual means the profile is at the level in every optimum (complementary
    slackness). The level variable has no upper bound, so the duals of the free rows sum to
    one and some row has a positive one (a bound of 1 on the level once took that dual when
    the last free profiles were certain, and the round repeated for ever). Should they be
    numerically flat all the same, the profiles at the lowest probability are taken, which
    is never empty, so every round fixes at least one profile and leximin always ends.
    """
    tight = {p for p in free if duals[p] > LEVEL}
    if tight:
        return tight
    lowest = min(probability[p] for p in free)
    return {p for p in free if probability[p] <= lowest + LEVEL}


def _solve_kept(solver: pywraplp.Solver) -> bool:
    """Solve a kept, modified GLOP model to optimality, retrying without presolve.

    Once a few levels are fixed, GLOP with presolve has answered INFEASIBLE for an LP that
    is feasible by construction (every fixed level sits a hair below a level just reached):
    a 10-person pool with an ``include:``, whose certain profile was the last one free. The
    relaxation then gave up and leximin ran its column generation, the slow route on large
    pools. The same LP without presolve, or with the dual simplex, solves; a true failure
    still returns False.
    """
    status = solver.Solve()
    for remedy in ("use_preprocessing: false", "use_dual_simplex: true"):
        if status == pywraplp.Solver.OPTIMAL:
            break
        solver.SetSolverSpecificParametersAsString(remedy)
        status = solver.Solve()
    return bool(status == pywraplp.Solver.OPTIMAL)


def leximin_levels(
    polytope: Polytope,
    profile_variable: Mapping[int, int],
    zero: Sequence[int],
    sizes: Sequence[int],
    board_size: int,
    *,
    only_first: bool = False,
    progress: Progress = SILENT,
) -> tuple[dict[int, float], np.ndarray] | None:
    """The leximin (or, with ``only_first``, maximin) probabilities over the relaxation.

    ``profile_variable`` maps each reachable profile to its seat-count variable; the
    variables in ``zero`` (unreachable profiles) are held at zero, as in every board.
    Returns each profile's level and the point of the polytope that reaches them, or None
    if GLOP does not end optimal.
    The levels are an upper bound for boards: no distribution over boards can be leximin
    better, since its seat vector is a point of the polytope.

    Each round maximises the lowest free level; free profiles whose row has a positive dual
    are at that level in every optimum (complementary slackness) and are fixed. When the
    level equals the seats left over per free person, every free profile is at it.
    ``progress`` hears each round, with the floor it reached.
    """
    solver, variables, _ = polytope.glop()
    for v in zero:
        variables[v].SetUb(0.0)
    z = solver.NumVar(0.0, solver.infinity(), "z")  # unbounded: see ``settled``
    rows: dict[int, pywraplp.Constraint] = {}
    for p, v in profile_variable.items():
        row = solver.Constraint(0.0, solver.infinity(), f"p{p}")
        row.SetCoefficient(variables[v], 1.0 / sizes[p])
        row.SetCoefficient(z, -1.0)
        rows[p] = row
    objective = solver.Objective()
    objective.SetCoefficient(z, 1.0)
    objective.SetMaximization()
    free = set(profile_variable)
    levels: dict[int, float] = {}
    point = np.zeros(len(variables))
    while free:
        if not _solve_kept(solver):
            return None
        level = z.solution_value()
        rounds = len(set(levels.values())) + 1
        progress.step("leximin", rounds, None, f"floor {level:.6f}, {len(free)} profiles free")
        point = np.array([v.solution_value() for v in variables])
        duals = {p: -rows[p].dual_value() for p in free}
        left = board_size - sum(levels[p] * sizes[p] for p in levels)
        people = sum(sizes[p] for p in free)
        if only_first or level >= left / people - LEVEL:
            tight = set(free)
        else:
            shares = {p: point[profile_variable[p]] / sizes[p] for p in free}
            tight = settled(free, duals, shares)
        for p in tight:
            levels[p] = max(0.0, level - HAIR)  # a hair below, so rounding never cuts it off
            rows[p].SetCoefficient(z, 0.0)
            rows[p].SetLb(levels[p])
        free -= tight
        if only_first:
            break
    return levels, point
