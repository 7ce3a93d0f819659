"""Column generation over board compositions: the fair distributions of a lottery.

A board, for every rule and every gap, is only its *composition*: how many seats each profile
gets (see :mod:`balancer.engine.problem`). Candidates of one profile are interchangeable, so
any fair distribution can be symmetrised within profiles without losing feasibility or
fairness (the argument is in ``docs/lottery.md``); we therefore solve for one probability per
profile,
``pi_p = E[c_p] / |p|``, over distributions on compositions.

The set of compositions is far too large to list, so the LP master holds a few of them and a
CP-SAT *pricing* problem on the lean model (one integer seat count per profile, every rule)
finds the composition that the current dual prices value most. When no composition is worth
more than the master's convexity price, the master's optimum is the optimum over all boards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model
from threadpoolctl import threadpool_limits

from balancer.engine.model import BalanceModel, build_model, cap_gaps, seated_flags
from balancer.engine.problem import BalanceProblem
from balancer.engine.solve import default_workers, new_solver, solve, status_of
from balancer.fair.relaxation import HAIR, Relaxation, leximin_levels, settled
from balancer.spec.errors import InfeasibleError, SolverError
from balancer.spec.outcomes import SolveStatus
from balancer.spec.progress import SILENT, Progress, phase

Rule = Literal["leximin", "maximin", "nash"]
Composition = tuple[int, ...]

TOLERANCE = 1e-9  # reduced costs and dual values below this count as zero
NASH_GAP = 1e-7  # nash stops when its log-sum is certified within this per candidate
MASTER_SHARE = 0.01  # nash's restricted master is solved to this share of NASH_GAP
MASTER_STEPS = 200  # interior-point steps per restricted master (about 5-10 are needed)
START_MIX = 1e-3  # share of the uniform weights mixed in, to start strictly inside
SIGMA_FLOOR = 1e-6  # the interior point never aims below this share of the current mu
TRACE = 1e-9  # nash weights below this are dropped (interior-point residue, not support)
COVER_WORK = 0.05  # deterministic work of a covering round's short CP-SAT search
WEIGHT_SCALE = 2**40  # integer scale of the pricing weights (largest weight maps to this)
FEASIBLE = 1e-8  # _reach: a level met to this (GLOP's primal feasibility tolerance)
SPARE_AFTER = 20  # _reach: columns priced before the second split's boards are added
STALL_AFTER = 5  # _reach: columns priced before a stalled one (see STALL) adds them at once
STALL = 4e-7  # _reach: 1 - z still above this after STALL_AFTER columns means stalled
NEAR = 2.5e-6  # _reach: 1 - z at most this when the second split is due: resume the first
RESUME = 0.8  # _reach: share of the first split's boards kept when it is resumed (see NEAR)
AIM_PIVOTS = 150  # _reach: primal simplex pivots per re-solve before the dual simplex takes over


class NoBoard(InfeasibleError):
    """No board satisfies every rule (and the gap limit, when one is given)."""


@dataclass
class Distribution:
    """A distribution over compositions and what it gives each profile."""

    rule: Rule
    compositions: list[Composition]
    weights: list[float]
    probabilities: list[float]  # per profile, per person
    reachable: list[bool]  # False: the profile is in no allowed board
    pricing_calls: int = 0
    lp_solves: int = 0
    certificate: float = 0.0  # for nash: the Frank-Wolfe bound on the lost log-sum
    gap_limit: tuple[int, int] | None = None  # (largest, total) scaled gaps allowed
    levels: list[float] = field(default_factory=list)  # leximin: the fixed levels in order


class Pricer:
    """The lean CP-SAT model of the scenario, reused for every pricing question.

    Built once; only the objective changes between calls, and the last composition is kept
    as a hint, which saves most of the search when the duals move a little. Most questions
    are answered by the model's LP relaxation and its proven bound (see
    :mod:`balancer.fair.relaxation`); CP-SAT searches only where neither settles the question.
    CP-SAT runs on one worker without presolve: on these small models the second worker and
    presolve cost more than they save (2.3 s against 3.8 s for a 200-person maximin).
    """

    def __init__(
        self,
        problem: BalanceProblem,
        *,
        max_gap_excess: float | None = None,
        workers: int | None = None,
    ) -> None:
        self.problem = problem
        self.workers = workers or default_workers()
        self.handles: BalanceModel = build_model(problem, lean=True)
        self.sizes = [profile.size for profile in problem.profiles]
        self.gap_limit: tuple[int, int] | None = None
        if max_gap_excess is not None and self.handles.max_gap is not None:
            self._limit_gaps(max_gap_excess)
        self.relaxation = Relaxation.of(self.handles.model)  # before cover() adds switches
        self._hint: Composition | None = None  # the last composition found
        self.calls = 0  # CP-SAT searches

    def _limit_gaps(self, excess: float) -> None:
        """Only boards whose largest and total gap are within ``excess`` seats of the best.

        The optimum is solved first (balance only); gaps are scaled integers in the model, so
        the allowance is ``floor(excess x scale)`` in the same units.
        """
        best = solve(self.problem, workers=self.workers, balance_only=True)
        if best.status != "optimal" or best.gap_values is None:
            raise NoBoard("no board meets every rule")
        room = math.floor(excess * self.handles.scale + 1e-9)
        largest, total = best.gap_values
        self.gap_limit = (largest + room, total + room)
        cap_gaps(self.handles, largest + room, total + room)

    def variables(self) -> list[tuple[int, cp_model.IntVar]]:
        """Each profile that has a seat count, with its variable in the lean model."""
        return [(p, row[0]) for p, row in enumerate(self.handles.picks) if row]

    def profile_variables(self) -> list[cp_model.IntVar | None]:
        """The seat-count variable of every profile (None: the profile can have no seat)."""
        return [row[0] if row else None for row in self.handles.picks]

    def _solve(self, work_limit: float | None = None) -> cp_model.CpSolver | None:
        """CP-SAT on the model; with ``work_limit`` (deterministic), a good answer may do.

        Returns None when infeasible, and, under a limit, when the limit ran out first.
        """
        model = self.handles.model
        model.clear_hints()  # type: ignore[no-untyped-call]
        if self._hint is not None:
            for p, variable in self.variables():
                model.add_hint(variable, self._hint[p])
        solver = new_solver(1, presolve=False, work_limit=work_limit)
        self.calls += 1
        code = solver.solve(self.handles.model)
        status = status_of(code)
        if status is SolveStatus.INFEASIBLE:
            return None
        if work_limit is not None and code in (cp_model.FEASIBLE, cp_model.UNKNOWN):
            return solver if status is SolveStatus.FEASIBLE else None
        if status is not SolveStatus.OPTIMAL:
            raise SolverError(f"pricing ended with {solver.status_name(code)}")
        return solver

    def _composition(self, solver: cp_model.CpSolver) -> Composition:
        counts = [0] * len(self.sizes)
        for p, variable in self.variables():
            counts[p] = int(solver.value(variable))
        return self._keep(counts)

    def _keep(self, counts: list[int]) -> Composition:
        """The composition, also kept as the hint of the next CP-SAT search."""
        self._hint = tuple(counts)
        return self._hint

    def improving(
        self, weights: Sequence[float], threshold: float, *, quick: bool = False
    ) -> tuple[Composition | None, float]:
        """An allowed composition worth more than ``threshold``, or None if there is none.

        Worth is ``sum_p weights[p] x c_p``. Also returns an upper bound on the worth of
        every allowed composition. The LP relaxation answers first: a whole-number optimum
        above the threshold is returned, and a proven bound at or below it settles that there
        is none. Only in between, or with no relaxation, does CP-SAT search; there the weights
        are scaled to integers with the largest at ``WEIGHT_SCALE``, which costs at most
        ``board_size / WEIGHT_SCALE`` of the largest weight, far below the tolerances.

        ``quick``: any composition above the threshold will do, so a short search (a
        deterministic limit, the same answer on any machine) goes before the full one. Nash
        asks this way: its pricing needs an improving composition, not the best, and the
        full search is left for the last round, which must prove that none is left (on
        sortition-algorithms' fixture a nash went from 2.2 s to 1.3 s).
        """
        variables = self.variables()
        bound = math.inf
        if self.relaxation is not None:
            values, bound = self.relaxation.maximize({v.index: weights[p] for p, v in variables})
            if values is not None:
                counts = [0] * len(self.sizes)
                for p, variable in variables:
                    counts[p] = values[variable.index]
                if _value(counts, weights) > threshold:
                    return self._keep(counts), bound
            if bound <= threshold:
                return None, bound
        top = max((abs(w) for w in weights), default=0.0)
        model = self.handles.model
        model.clear_objective()  # type: ignore[no-untyped-call]
        if top > 0:
            integer = [round(weights[p] / top * WEIGHT_SCALE) for p, _ in variables]
            model.maximize(cp_model.LinearExpr.weighted_sum([v for _, v in variables], integer))
        if quick:  # any improving composition will do: a short search first
            short = self._solve(COVER_WORK)
            if short is not None:
                column = self._composition(short)
                if _value(column, weights) > threshold:
                    return column, bound
        found = self._solve()
        assert found is not None, "pricing cannot be infeasible once a board is known"
        column = self._composition(found)
        worth = _value(column, weights)
        return (column if worth > threshold else None), worth

    def cover(self) -> tuple[list[Composition], list[bool]]:
        """Boards that together seat someone of every profile that any board can seat.

        Each round asks for the board seating the most profiles not yet seated; when that is
        zero, the profiles left are in no allowed board. These boards start the master, so
        every reachable profile has a positive probability from the first LP on.

        The LP relaxation goes first (:meth:`_cover_relaxed`): where its answers are whole
        it finds the boards, and its proven bound can settle that no profile is left, so
        CP-SAT, whose covering searches took 8 of 9 s of a 1,000-person maximin with an
        organisation cap, only finishes what the relaxation leaves open.
        """
        reachable = [False] * len(self.sizes)
        boards: list[Composition] = []
        if self._cover_relaxed(boards, reachable):
            return boards, reachable
        model = self.handles.model
        variables = self.variables()
        seated = seated_flags(self.handles)
        while True:
            open_ = [seated[p] for p, _ in variables if not reachable[p]]
            model.clear_objective()  # type: ignore[no-untyped-call]
            model.maximize(cp_model.LinearExpr.sum(open_))
            # A board seating some new profiles is all a round needs, so a short search
            # (a deterministic limit: the same boards on any machine) goes first; only a
            # round that finds none needs the full search, to prove that none is left.
            found = self._solve(COVER_WORK) if boards else None
            if found is not None and not any(
                found.value(seated[p]) for p, _ in variables if not reachable[p]
            ):
                found = None
            if found is None:
                found = self._solve()
            if found is None:
                if boards:
                    raise SolverError("the model became infeasible while covering")
                raise NoBoard("no board meets every rule")
            board = self._composition(found)
            new = [p for p, c in enumerate(board) if c > 0 and not reachable[p]]
            if not boards or new:
                boards.append(board)
            for p in new:
                reachable[p] = True
            if not new or all(reachable[p] for p, _ in variables):
                break
            if self._cover_relaxed(boards, reachable):  # back to the relaxation
                break
        return boards, reachable

    def _cover_relaxed(self, boards: list[Composition], reachable: list[bool]) -> bool:
        """Covering boards from the relaxation, added in place; whether every profile is settled.

        Each round maximises ``sum c_p / |p|`` over the profiles not yet seated, which a
        board raises by at least ``1 / |p|`` for each of them it seats. A whole optimum is a
        board; one seating no new profile, or a proven bound below the least such step,
        shows that no board seats any of them. A fractional optimum hands the round to
        CP-SAT, which then hands back.
        """
        if self.relaxation is None:
            return False
        variables = self.variables()
        while True:
            open_ = [(p, v) for p, v in variables if not reachable[p]]
            if not open_:
                return bool(boards)
            weights = [0.0] * len(self.sizes)
            for p, _ in open_:
                weights[p] = 1.0 / self.sizes[p]
            values, bound = self.relaxation.maximize({v.index: weights[p] for p, v in open_})
            step = min(weights[p] for p, _ in open_)
            if bound < step * (1 - 1e-6):
                return bool(boards)
            if values is None:
                return False
            counts = [0] * len(self.sizes)
            for p, variable in variables:
                counts[p] = values[variable.index]
            board = self._keep(counts)
            new = [p for p in range(len(board)) if board[p] > 0 and not reachable[p]]
            if not new:
                return bool(boards)
            boards.append(board)
            for p in new:
                reachable[p] = True


class _Master:
    """The restricted LP: a distribution over the known compositions.

    One GLOP model lives for the whole run: a new composition is a new column and a fixed
    leximin level only changes a row's bound. Rebuilding the LP in Python at every column
    cost more than solving it (2.1 of 3.2 s on a 150-person pool).
    """

    def __init__(self, sizes: Sequence[int], reachable: Sequence[bool]) -> None:
        self.sizes = list(sizes)
        self.reachable = list(reachable)
        self.columns: list[Composition] = []
        self._known: set[Composition] = set()
        self.solves = 0
        self._fixed: dict[int, float] = {}
        self._aim: dict[int, float] | None = None  # see ``aim``
        self._dual_once = False  # the next solve by the dual simplex (see ``aim``)
        self._build()

    def _build(self) -> None:
        """The GLOP model of the known columns and fixed levels, from scratch."""
        solver = pywraplp.Solver.CreateSolver("GLOP")
        assert solver is not None
        self._solver = solver
        self._lam: list[pywraplp.Variable] = []
        # No upper bound on z while a free row bounds it (no one exceeds probability 1): a
        # bound of 1 took the dual when the last free profiles were certain (an ``include:``),
        # so no row had a positive price, nothing was fixed and leximin repeated that round.
        # With every row fixed, z measures nothing and is held at 0 (see ``_bound_z``).
        self._z = solver.NumVar(0.0, solver.infinity(), "z")
        self._convexity = solver.Constraint(1.0, 1.0, "convexity")
        self._rows: dict[int, pywraplp.Constraint] = {}
        for p, ok in enumerate(self.reachable):
            if ok:
                row = solver.Constraint(0.0, solver.infinity(), f"p{p}")
                if self._aim is not None:
                    row.SetCoefficient(self._z, -self._aim.get(p, 0.0))
                elif p in self._fixed:
                    row.SetLb(self._fixed[p])
                else:
                    row.SetCoefficient(self._z, -1.0)
                self._rows[p] = row
        objective = solver.Objective()
        objective.SetCoefficient(self._z, 1.0)
        objective.SetMaximization()
        for column in self.columns:
            self._column(column)
        self._bound_z()

    def _bound_z(self) -> None:
        """Free above while some row holds z; 0 once none does (else the LP is unbounded)."""
        if self._aim is not None:
            self._z.SetUb(1.0)
            return
        free = any(p not in self._fixed for p in self._rows)
        self._z.SetUb(self._solver.infinity() if free else 0.0)

    def _solve(self, *, may_be_infeasible: bool) -> bool:
        """Solve; after a numerical failure try again without presolve, then rebuilt.

        GLOP has been seen to end ABNORMAL, or INFEASIBLE where the last solution is feasible,
        on a kept model after hundreds of columns and a few fixed levels (a 20,000-candidate
        pool); the same LP without presolve, or built afresh, solves. ``may_be_infeasible``:
        whether INFEASIBLE can be a true answer (a check of levels) rather than a failure.

        Aimed (see :meth:`aim`), a re-solve after a new column runs the primal simplex for at
        most ``AIM_PIVOTS`` pivots (a deterministic limit), then the dual simplex from where
        it stopped. Most re-solves take 25-60 pivots, 5-10 ms; but some took 600-1,500 at
        0.2-0.4 ms each, 0.1-0.5 s apiece and 1.9 of a 2.5 s leximin at 250 profiles with an
        ``include:`` (32 columns priced). The dual simplex finished those in 250-700 pivots of
        about 0.06 ms: 0.55 s for the same 35 solves.

        Aimed, every remedy keeps the dual simplex (a parameter string replaces the last
        one, so "without presolve" alone meant the primal). The first aimed solve, by the
        dual simplex from the basis of the check that just failed (:meth:`reach`), has ended
        ABNORMAL at once on held-out pools; the primal simplex that the remedy then ran from
        there took 5,468 pivots and 5.3 s on a 450-candidate pool (1.9 s with an
        ``include:``), where the dual simplex without presolve took 0.1 s, or after a
        rebuild 0.1-0.2 s.
        """
        self.solves += 1
        answers = {pywraplp.Solver.OPTIMAL}
        if may_be_infeasible:
            answers.add(pywraplp.Solver.INFEASIBLE)
        # Each remedy: whether the LP is rebuilt first, then the parameters it solves with.
        dual = "use_dual_simplex: true"
        remedies = [(False, "use_preprocessing: false"), (True, ""), (False, dual)]
        if self._aim is not None:
            remedies = [(False, f"use_preprocessing: false {dual}"), (True, dual), (False, dual)]
            if not self._dual_once:  # the primal's pivots run out: the dual simplex goes on
                self._solver.SetSolverSpecificParametersAsString(
                    f"max_number_of_iterations: {AIM_PIVOTS}"
                )
                remedies.insert(0, (False, dual))
        status = self._solver.Solve()
        for rebuild, parameters in remedies:
            if status in answers:
                break
            if rebuild:
                self._build()
            if parameters:
                self._solver.SetSolverSpecificParametersAsString(parameters)
            status = self._solver.Solve()
        return bool(status == pywraplp.Solver.OPTIMAL)

    def add(self, column: Composition) -> bool:
        if column in self._known:
            return False
        self._known.add(column)
        self.columns.append(column)
        self._column(column)
        return True

    def _column(self, column: Composition) -> None:
        variable = self._solver.NumVar(0.0, 1.0, f"l{len(self._lam)}")
        self._lam.append(variable)
        self._convexity.SetCoefficient(variable, 1.0)
        for p in np.flatnonzero(column).tolist():  # a board seats few of many profiles
            if p in self._rows:
                self._rows[p].SetCoefficient(variable, column[p] / self.sizes[p])

    def pi(self, weights: Sequence[float]) -> list[float]:
        """Per-person probability of each profile under column weights."""
        return probabilities(self.columns, weights, self.sizes)

    def _fix(self, levels: Mapping[int, float]) -> None:
        """Hold these profiles at or above their levels and take them out of the minimum."""
        for p, level in levels.items():
            if self._fixed.get(p) != level:
                self._rows[p].SetCoefficient(self._z, 0.0)
                self._rows[p].SetLb(level)
                self._fixed[p] = level
        self._bound_z()

    def reach(self, levels: Mapping[int, float]) -> list[float] | None:
        """Column weights giving every profile at least its level, or None if there are none."""
        self._fix(levels)
        if not self._solve(may_be_infeasible=True):
            return None
        return [v.solution_value() for v in self._lam]

    def aim(self, levels: Mapping[int, float]) -> None:
        """From now on, maximise ``z`` with every profile at least ``z`` times its level.

        The phase one of column generation towards known levels (see :func:`_reach`), with
        ``z`` at most 1, where every level is met; :meth:`maximin` (with nothing fixed)
        then solves it and its duals price columns as maximin's do.

        The rows are changed in place, and the first solve is by the dual simplex; later
        ones, after a new column, by the primal, which keeps its basis (8-35 ms each). The
        primal simplex on this first solve is a trap on some pools: 12 s with 369 boards on
        a 400-candidate pool, 10 s from scratch, where the dual took 0.11 s (0.005-0.14 s
        on four other pools, from 114 to 439 boards).
        """
        self._aim = dict(levels)
        self._fixed = {}
        for p, row in self._rows.items():
            row.SetLb(0.0)
            row.SetCoefficient(self._z, -self._aim.get(p, 0.0))
        self._bound_z()
        self.dual_next()

    def dual_next(self) -> None:
        """Solve the next time by the dual simplex (after many columns at once, see _reach)."""
        self._solver.SetSolverSpecificParametersAsString("use_dual_simplex: true")
        self._dual_once = True

    def maximin(self, fixed: dict[int, float]) -> tuple[float, list[float], list[float], float]:
        """Maximise the smallest probability of the free reachable profiles.

        ``fixed`` profiles keep at least their level and leave the minimum. Returns z, the
        column weights, the pricing weight of each profile (the dual price of its probability
        row, per seat) and the convexity price. GLOP reports the duals of ``>=`` rows of a
        maximisation as non-positive; they are negated here.
        """
        self._fix(fixed)
        if not self._solve(may_be_infeasible=False):
            raise SolverError("the master LP has no optimum")
        if self._dual_once:
            self._solver.SetSolverSpecificParametersAsString("")
            self._dual_once = False
        prices = [0.0] * len(self.sizes)
        for p, row in self._rows.items():
            prices[p] = max(0.0, -row.dual_value()) / self.sizes[p]
        weights = [v.solution_value() for v in self._lam]
        return self._z.solution_value(), weights, prices, self._convexity.dual_value()


def probabilities(
    columns: Sequence[Composition], weights: Sequence[float], sizes: Sequence[int]
) -> list[float]:
    """Per-person probability of each profile when composition j has weight ``weights[j]``."""
    if not columns:
        return [0.0] * len(sizes)
    seats = np.asarray(weights, dtype=float) @ np.asarray(columns, dtype=float)
    return (seats / np.asarray(sizes, dtype=float)).tolist()  # type: ignore[no-any-return]


def _value(column: Sequence[int], prices: Sequence[float]) -> float:
    return sum(price * c for price, c in zip(prices, column, strict=True))


def _maximin_round(
    pricer: Pricer, master: _Master, fixed: dict[int, float]
) -> tuple[float, list[float], list[float]]:
    """Column generation to the optimum of one maximin LP; returns z, weights, dual prices."""
    while True:
        z, weights, prices, convexity = master.maximin(fixed)
        column, _ = pricer.improving(prices, convexity + TOLERANCE)
        if column is None or not master.add(column):
            return z, weights, prices


def leximin(
    pricer: Pricer,
    master: _Master,
    *,
    only_first: bool = False,
    progress: Progress = SILENT,
) -> tuple[list[float], list[float]]:
    """Maximin, then repeatedly fix the profiles that cannot do better and raise the rest.

    After a round converges its duals are optimal for the full LP, so by complementary
    slackness a profile whose row has a positive dual is at ``z`` in *every* optimal
    distribution: it is fixed there. The duals of the free rows sum to one, so every round
    fixes at least one profile. ``progress`` hears each round with the floor it reached.
    """
    fixed: dict[int, float] = {}
    free = {p for p, ok in enumerate(master.reachable) if ok}
    levels: list[float] = []
    weights: list[float] = []
    while free:
        z, weights, prices = _maximin_round(pricer, master, fixed)
        levels.append(z)
        progress.step("leximin", len(levels), None, f"floor {z:.6f}, {len(free)} profiles free")
        if only_first:
            break
        pi = master.pi(weights)
        tight = settled(free, {p: prices[p] * master.sizes[p] for p in free}, pi)
        for p in tight:
            fixed[p] = max(0.0, z - HAIR)  # a hair below, so rounding never cuts it off
        free -= tight
    return weights, levels


def nash(
    pricer: Pricer, master: _Master, start: Sequence[float] | None = None
) -> tuple[list[float], float]:
    """Maximise the sum over candidates of log probability (Nash welfare).

    Simplicial decomposition: the Nash problem restricted to the known compositions is
    solved to a gap far below the tolerance (:func:`_restricted_nash`, a primal-dual interior
    point), then pricing (:meth:`Pricer.improving`) finds a new composition with the
    gradient ``|p| / x_p = 1 / pi_p`` per seat. By concavity the Frank-Wolfe gap
    ``max_c g.(c - x)`` over *all* allowed compositions bounds how far the log-sum is from the
    optimum; pricing proves a bound on it at the very weights returned, so the returned gap
    certifies the answer whatever the master did. ``start`` (column weights) is where it
    begins; by default the known compositions weigh the same.
    """
    reach = np.array(master.reachable, dtype=bool)
    sizes = np.array(master.sizes, dtype=float)
    tolerance = NASH_GAP * max(1.0, float(sizes[reach].sum()))
    if start is None:
        weights = np.full(len(master.columns), 1.0 / len(master.columns))
    else:
        weights = np.array(start, dtype=float)
    table = np.array(master.columns, dtype=float)[:, reach]
    while True:
        if len(table) < len(master.columns):
            added = np.array(master.columns[len(table) :], dtype=float)[:, reach]
            table = np.vstack([table, added])
        if len(weights) < len(table):
            weights = np.r_[weights, np.zeros(len(table) - len(weights))]
        weights = _restricted_nash(table, sizes[reach], weights, MASTER_SHARE * tolerance)
        # Weights the interior point left at a trace (1e-11 and below where measured) are
        # compositions outside the optimal face: dropped, so the support published is the
        # face's, and the certificate below is proven for exactly these weights.
        weights[weights < TRACE] = 0.0
        weights /= weights.sum()
        x = weights @ table
        gradient = np.zeros(len(sizes))
        gradient[reach] = sizes[reach] / x  # d/dx_p of |p| log(x_p/|p|), per seat
        here = float(x @ gradient[reach])
        column, bound = pricer.improving(gradient.tolist(), here + tolerance, quick=True)
        if column is None or not master.add(column):
            return weights.tolist(), max(bound - here, 0.0)


def _restricted_nash(
    table: np.ndarray, sizes: np.ndarray, start: np.ndarray, target: float
) -> np.ndarray:
    """``max sum_p s_p log(x_p)``, ``x = w @ table``, over weights ``w`` on the simplex.

    Why an interior point: where nearly every candidate is a profile of their own, the
    optimum spreads over a hundred or more compositions, and first-order steps (pairwise
    Frank-Wolfe, used before) needed hundreds of thousands of line searches for it (34 s of
    a 36 s nash under cProfile on sortition-algorithms' 150-person fixture). A primal-dual
    Newton method with Mehrotra's predictor-corrector reaches a gap of 1e-9 in about ten
    steps from a cold start and about five from the previous master's weights, each step one
    dense solve in the number of compositions (a few hundred at most).

    The log-sum is homogeneous (scaling ``w`` by ``c`` adds ``S log c``, ``S = sum s``), so
    the simplex can be dropped: ``w`` maximising ``f(w) - S sum(w)`` over ``w >= 0`` sums to
    one. Its KKT conditions are ``g(w) - S + z = 0`` and ``w_j z_j = mu -> 0``, with
    ``g = table @ (s / x)``. Each step solves the Newton system reduced to ``w``,
    ``(H + Z/W) dw = g - S + mu'/w`` with ``H = table diag(s / x^2) table^T``, scaled by
    ``v = sqrt(w / z)`` to ``V H V + I`` (eigenvalues at least 1, so the solve stays accurate
    as the support converges). That ``dw`` is an ascent direction of the barrier merit
    ``f(w) - S sum(w) + mu' sum(log w)``, and a backtracking search on that merit makes the
    method converge from any start (without it, random small tables cycled). Stops when the
    restricted Frank-Wolfe gap ``max_j g_j - g.w`` of the normalised weights (computed
    directly, not from the duals) is at most ``target``; the best weights seen are returned if
    the step limit comes first, which only costs further pricing rounds, never correctness.
    """
    n = len(table)
    total = float(sizes.sum())
    w = np.clip(start, 0.0, None)
    w = (1 - START_MIX) * w / w.sum() + START_MIX / n  # strictly inside
    root = np.sqrt(sizes)
    x, g, gap = _nash_state(table, sizes, w)
    z = np.maximum(total - g, 0.0) + max(gap, target) / n  # w_j z_j > 0, near dual feasible
    best, best_gap = w, gap
    for _ in range(MASTER_STEPS):
        if gap <= target:
            break
        mu = float(w @ z) / n
        scale = np.sqrt(w / z)
        rows = table * (scale[:, None] * (root / x)[None, :])
        system = rows @ rows.T
        system[np.diag_indices(n)] += 1.0
        residual = g - total + z
        # The affine (predictor) direction aims at w z = 0: products w z, so products/w = z.
        step_w = _reduced(system, scale, residual - z)
        step_z = -z - z * step_w / w
        predicted = float((w + _room(w, step_w) * step_w) @ (z + _room(z, step_z) * step_z)) / n
        aim = mu * min(1.0, max((predicted / mu) ** 3, SIGMA_FLOOR))
        ascent = g - total + aim / w  # the merit's gradient
        products = w * z + step_w * step_z - aim  # Mehrotra's corrector
        step_w = _reduced(system, scale, residual - products / w)
        slope = float(ascent @ step_w)
        if slope <= 0:  # the corrector lost the ascent; the plain direction has it
            products = w * z - aim
            step_w = _reduced(system, scale, residual - products / w)
            slope = float(ascent @ step_w)
        step_z = (-products - z * step_w) / w
        alpha = min(1.0, 0.99 * _room(w, step_w))
        base = _merit(table, sizes, w, aim)
        noise = 1e-12 * max(1.0, abs(base))  # rounding: a step that changes nothing is fine
        while alpha > 1e-14:
            if _merit(table, sizes, w + alpha * step_w, aim) >= base + 1e-4 * alpha * slope - noise:
                break
            alpha /= 2
        w = w + alpha * step_w
        z = z + min(alpha, 0.99 * _room(z, step_z)) * step_z
        level = float(w @ z) / n  # keep each w_j z_j within 1e10 of the mean (centrality)
        z = np.clip(z, level / (1e10 * w), 1e10 * level / w)
        x, g, gap = _nash_state(table, sizes, w)
        if gap < best_gap:
            best, best_gap = w, gap
    result: np.ndarray = best / best.sum()
    return result


def _reduced(system: np.ndarray, scale: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``(H + Z/W)^-1 right`` as ``v (V H V + I)^-1 (v right)``, ``system = V H V + I``."""
    solved: np.ndarray = scale * np.linalg.solve(system, scale * right)
    return solved


def _nash_state(
    table: np.ndarray, sizes: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """``x``, the gradient ``g`` and the Frank-Wolfe gap of the normalised weights ``w/sum w``."""
    x = w @ table
    g = table @ (sizes / x)
    return x, g, float(g.max() * w.sum() - sizes.sum())


def _merit(table: np.ndarray, sizes: np.ndarray, w: np.ndarray, mu: float) -> float:
    """The barrier merit ``f(w) - S sum(w) + mu sum(log w)`` that each step must raise."""
    return float(sizes @ np.log(w @ table) - sizes.sum() * w.sum() + mu * np.log(w).sum())


def _room(values: np.ndarray, step: np.ndarray) -> float:
    """The largest step in [0, 1] along ``step`` keeping ``values`` nonnegative."""
    falling = step < 0
    if not falling.any():
        return 1.0
    return min(1.0, float((-values[falling] / step[falling]).min()))


def fair_distribution(
    problem: BalanceProblem,
    rule: Rule = "leximin",
    *,
    max_gap_excess: float | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Distribution:
    """The fairest distribution over allowed boards, one probability per profile.

    ``progress`` hears the "leximin" phase: a step per round, with the floor reached.

    Dense linear algebra (nash's interior point, the decomposition's least squares) runs on
    one BLAS thread. The matrices are a few hundred wide, too small to gain from threads, and
    OpenBLAS threads that spin against CP-SAT or other processes on a busy machine made one
    nash 20 times slower (80.8 s against 4.2 s on a 250-person pool at load 6). One thread also
    makes the floating-point results, hence the published boards, independent of how many
    cores the machine has.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fair_distribution(problem, rule, max_gap_excess, workers, progress)


def _fair_distribution(
    problem: BalanceProblem,
    rule: Rule,
    max_gap_excess: float | None,
    workers: int | None,
    progress: Progress | None,
) -> Distribution:
    pricer = Pricer(problem, max_gap_excess=max_gap_excess, workers=workers)
    initial, reachable = pricer.cover()
    master = _Master(pricer.sizes, reachable)
    for board in initial:
        master.add(board)
    certificate = 0.0
    levels: list[float] = []
    solved = None
    with phase(progress, "leximin") as reporter:
        if pricer.relaxation is not None:
            solved = _from_relaxation(
                pricer, master, only_first=rule != "leximin", progress=reporter
            )
        if solved is not None:
            master, weights, levels = solved
        else:
            weights, levels = leximin(
                pricer, master, only_first=rule != "leximin", progress=reporter
            )
    if rule == "nash":
        # Nash starts from the maximin lottery: where everyone can have k/n, that is the
        # Nash optimum already and the first Frank-Wolfe bound certifies it.
        weights, certificate = nash(pricer, master, weights)
        levels = []
    kept = [(c, w) for c, w in zip(master.columns, weights, strict=True) if w > 1e-12]
    total = sum(w for _, w in kept)
    compositions = [c for c, _ in kept]
    final = [w / total for _, w in kept]
    return Distribution(
        rule=rule,
        compositions=compositions,
        weights=final,
        probabilities=probabilities(compositions, final, pricer.sizes),
        reachable=master.reachable,
        pricing_calls=pricer.calls,
        lp_solves=master.solves,
        certificate=certificate,
        gap_limit=pricer.gap_limit,
        levels=levels,
    )


def _from_relaxation(
    pricer: Pricer, master: _Master, *, only_first: bool, progress: Progress = SILENT
) -> tuple[_Master, list[float], list[float]] | None:
    """The leximin (or maximin) lottery straight from the LP relaxation, when it splits.

    The relaxation's levels bound every lottery over boards (see
    :mod:`balancer.fair.relaxation`); if the boards of its Caratheodory split reach every
    level, they are optimal and no pricing is needed. Otherwise pricing looks for the boards
    missing (:func:`_reach`); only if no lottery reaches the levels are the boards found added
    to ``master`` as a head start for leximin's column generation, and None is returned.
    """
    assert pricer.relaxation is not None
    variables = pricer.variables()
    reachable = master.reachable
    found = leximin_levels(
        pricer.relaxation.polytope,
        {p: v.index for p, v in variables if reachable[p]},
        [v.index for p, v in variables if not reachable[p]],
        pricer.sizes,
        pricer.problem.board_size,
        only_first=only_first,
        progress=progress,
    )
    if found is None:
        return None
    bound, point = found
    first = _split(pricer, point, exchange=not only_first)
    for board in first:
        master.add(board)
    # Where the first split's boards end, a split could start again (see _reach): the point
    # is a mix of the boards before a step and the point where that step began.
    step = int(RESUME * len(first))
    path = pricer.relaxation.path
    again = path[step] if 0 < step < len(path) else None
    check = _Master(pricer.sizes, reachable)
    for board in master.columns:
        check.add(board)
    weights = check.reach(bound)
    if weights is not None and not _meets(check.pi(weights), bound):
        weights = None  # "feasible" to GLOP, but a probability is short of its level
    if weights is None:
        # The boards of a split by GLOP vertices alone, the second route into the hull
        # (see _reach), only for leximin, whose split moves seats.
        spare = None if only_first else lambda: _split(pricer, point, exchange=True, last=True)
        resume = (
            None
            if only_first or again is None
            else lambda: _split(pricer, again, exchange=True, last=True)
        )
        weights = _reach(pricer, check, bound, spare, resume)
        if weights is None:
            for board in check.columns:
                master.add(board)
            return None
    levels = sorted(set(round(level, 9) for level in bound.values()))
    return check, weights, levels


def _split(
    pricer: Pricer, point: np.ndarray, *, exchange: bool, last: bool = False
) -> list[Composition]:
    """The boards of the relaxation's split of ``point``, as compositions."""
    assert pricer.relaxation is not None
    vertices, _ = pricer.relaxation.decompose(point, exchange=exchange, last=last)
    # Each vertex's seat counts, profile by profile (0 for a profile with no variable), in
    # one array operation: a loop per profile was 0.2 s of 2.6 at 1,000 candidates.
    profile_variables = pricer.profile_variables()
    seated = np.array([v is not None for v in profile_variables], dtype=bool)
    index = np.array([0 if v is None else v.index for v in profile_variables], dtype=np.int64)
    return [
        tuple(np.where(seated, vertex[index], 0).astype(np.int64).tolist()) for vertex in vertices
    ]


def _reach(
    pricer: Pricer,
    check: _Master,
    bound: Mapping[int, float],
    spare: Callable[[], list[Composition]] | None = None,
    resume: Callable[[], list[Composition]] | None = None,
) -> list[float] | None:
    """Column generation towards the relaxation's levels, when the split's boards fall short.

    The split stops when a face it reaches holds no whole point (its last steps left the
    hull of the boards). Whether the boards found up to there reach the levels was luck of
    the vertex order, and when they did not, leximin went to its own column generation, round
    after round of it: on a 1,000-candidate pool with an organisation cap that ran past 300 s
    where the split that happened to work took 4 s. But the levels are known, so one LP
    (:meth:`_Master.aim`, on ``check``, the master whose check just failed) asks for them
    directly, starting from the split's boards, which nearly reach them: a few new columns
    on the pools measured. Reaching them proves the lottery optimal, as the split would have
    (the levels bound every lottery). Returns the weights over ``check``'s columns, or None
    when pricing shows that no lottery reaches the levels (``z < 1`` at the optimum); leximin
    then runs its column generation, with every board found here.

    ``spare``: the boards of a second split, added once ``SPARE_AFTER`` columns have been
    priced without reaching the levels. A split that moves seats sometimes leaves the hull
    of the boards early (128 boards of about 300 on one held-out pool) and pricing then
    needs a column per missing board, each a master re-solve of 20-50 ms: 216 columns and
    5.3 s there. A second split whose moves are taken in the other order (last fit) costs
    0.2-0.8 s, and with its boards the levels were reached after 2 more solves on five such
    pools (x300/25 seed 21: leximin 5.9 s -> 1.7 s). After 20 columns, not at once: where a
    few columns do, they are cheaper (their fixture: 16 columns, 0.19 s).

    Sooner when pricing stalls: after ``STALL_AFTER`` columns with ``1 - z`` still above
    ``STALL``. Where the boards nearly reach the levels, ``1 - z`` is small from the start
    or falls fast (1.2-1.7e-7 after 5 columns on their fixture and the 400-candidate pool
    with an ``include:``, which need 16 and 19 columns); where the split left the hull
    early, it creeps (8.9e-7 to 1.8e-3 after 5 columns on three held-out pools, still
    3.3e-7 to 7.2e-4 after 20). There the 15 columns saved were 0.6-0.9 s (x400/35 seed 13
    with an ``include:``: leximin 3.0 s -> 2.4 s). The solve after the second split's
    boards (280 new columns there) is by the dual simplex: 170 ms instead of 240.

    ``resume``: the first split continued from its step at ``RESUME`` (80%) of its boards,
    taken instead of ``spare`` when ``1 - z`` is at most ``NEAR`` when the second split is
    due, and ``spare`` follows at once if the levels are still short after its boards.
    The boards before that step are in ``check`` already, so the new ones need only hold
    that step's starting point. Near the levels the first split went wrong late: on x400/35
    seed 13 with an ``include:`` (8.9e-7) the resumed split found 53 boards in 0.3 s and
    the levels were met after one solve of 60-85 ms, where the split from the start took
    0.4-0.8 s and the solve after its 280 boards 170-280 ms. Where ``1 - z`` was larger
    (7.3e-6 to 1.8e-3 on three held-out pools) a split resumed at 75-85% fell short.

    Reached means ``z`` at 1 (GLOP's verdict, as for the check), or every probability,
    computed from the weights, within ``FEASIBLE`` of its level: GLOP's own primal
    feasibility tolerance, within which the check's "feasible" is given too. The second
    matters: the last 1e-8 of ``z`` is the LP's rounding noise (the deficits went up and
    down between 2e-9 and 1e-8 from one column to the next), and chasing it took 30 more
    columns and 9 s at 250 profiles with an ``include:``.
    """
    check.aim(bound)
    priced = 0
    while True:
        z, weights, prices, convexity = check.maximin({})
        if z >= 1.0 - 1e-12 or _meets(check.pi(weights), bound):
            return weights
        priced += 1
        stalled = priced > STALL_AFTER and 1.0 - z > STALL
        if spare is not None and (stalled or priced > SPARE_AFTER):
            chosen = resume if resume is not None and 1.0 - z <= NEAR else spare
            for board in chosen():
                check.add(board)
            check.dual_next()
            if chosen is spare:
                spare = None
            resume = None
            continue
        column, _ = pricer.improving(prices, convexity + TOLERANCE)
        if column is None or not check.add(column):
            return None


def _meets(reached: Sequence[float], bound: Mapping[int, float]) -> bool:
    """Whether every profile's probability is within ``FEASIBLE`` of its level or above."""
    return all(reached[p] >= level - FEASIBLE for p, level in bound.items())
