"""The LP relaxation shortcuts, checked against every whole-number point of small models."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from balancer.fair.relaxation import Polytope, Relaxation, _exchange, _Face, leximin_levels

Row = tuple[str, list[int], int, int]  # kind, members, lowest and highest sum


def random_model(rng: random.Random) -> tuple[cp_model.CpModel, list[tuple[int, int]], list[Row]]:
    """A few small integer variables, a fixed sum and random 0/1 range rows (quota-like)."""
    n = rng.randint(3, 5)
    model = cp_model.CpModel()
    bounds = [(0, rng.randint(1, 3)) for _ in range(n)]
    xs = [model.new_int_var(lo, hi, f"x{i}") for i, (lo, hi) in enumerate(bounds)]
    total = rng.randint(1, sum(hi for _, hi in bounds))
    model.add(sum(xs) == total)
    rows = [("sum", list(range(n)), total, total)]
    for _ in range(rng.randint(1, 4)):
        members = [i for i in range(n) if rng.random() < 0.5] or [0]
        lo = rng.randint(0, 2)
        hi = lo + rng.randint(0, 3)
        model.add(sum(xs[i] for i in members) >= lo)
        model.add(sum(xs[i] for i in members) <= hi)
        rows.append(("range", members, lo, hi))
    return model, bounds, rows


def feasible_model(rng: random.Random) -> tuple[cp_model.CpModel, list[tuple[int, int]], list[Row]]:
    """A random model with at least two boards (redrawn until it has them)."""
    while True:
        model, bounds, rows = random_model(rng)
        if len(whole_points(bounds, rows)) >= 2:
            return model, bounds, rows


def whole_points(bounds: list[tuple[int, int]], rows: list[Row]) -> list[tuple[int, ...]]:
    found = []
    for point in itertools.product(*(range(lo, hi + 1) for lo, hi in bounds)):
        if all(lo <= sum(point[i] for i in members) <= hi for _, members, lo, hi in rows):
            found.append(point)
    return found


def in_hull(point: np.ndarray, vertices: list[np.ndarray]) -> bool:
    solver = pywraplp.Solver.CreateSolver("GLOP")
    weights = [solver.NumVar(0.0, 1.0, f"w{j}") for j in range(len(vertices))]
    solver.Add(solver.Sum(weights) == 1.0)
    for i in range(len(point)):
        row = solver.Sum([w * float(v[i]) for w, v in zip(weights, vertices, strict=True)])
        solver.Add(row >= point[i] - 1e-7)
        solver.Add(row <= point[i] + 1e-7)
    return bool(solver.Solve() == pywraplp.Solver.OPTIMAL)


@pytest.mark.parametrize("seed", range(40))
def test_pricing_answer_and_bound_match_every_whole_point(seed: int) -> None:
    rng = random.Random(seed)
    model, bounds, rows = random_model(rng) if seed % 4 == 0 else feasible_model(rng)
    points = whole_points(bounds, rows)
    polytope = Polytope.of(model)
    assert polytope is not None
    for point in itertools.product(*(range(lo, hi + 1) for lo, hi in bounds)):
        assert polytope.contains(np.array(point, dtype=float)) == (point in points)
    relaxation = Relaxation(polytope)
    for _ in range(5):
        weights = [rng.uniform(-1, 1) for _ in bounds]
        values, bound = relaxation.maximize(dict(enumerate(weights)))
        if not points:
            assert values is None
            continue
        best = max(sum(w * x for w, x in zip(weights, p, strict=True)) for p in points)
        assert bound >= best - 1e-9  # the bound holds for every board
        if values is not None:
            assert tuple(values) in points
            assert sum(w * x for w, x in zip(weights, values, strict=True)) == pytest.approx(best)


def mixed_point(
    seed: int,
) -> tuple[random.Random, list[tuple[int, int]], list[tuple[int, ...]], Polytope, np.ndarray]:
    """A random model's bounds, boards and polytope, and a random mixture of two to four
    boards (with the random source, to go on drawing from)."""
    rng = random.Random(seed)
    model, bounds, rows = feasible_model(rng)
    points = whole_points(bounds, rows)
    polytope = Polytope.of(model)
    assert polytope is not None
    mixed = rng.sample(points, min(len(points), rng.randint(2, 4)))
    shares = np.array([rng.random() + 0.1 for _ in mixed])
    return rng, bounds, points, polytope, (shares / shares.sum()) @ np.array(mixed, dtype=float)


@pytest.mark.parametrize("seed", range(40))
def test_decomposition_vertices_are_boards_and_hold_the_point(seed: int) -> None:
    _, _, points, polytope, point = mixed_point(1000 + seed)
    for exchange in (False, True):
        vertices, complete = Relaxation(polytope).decompose(point, exchange=exchange)
        assert all(tuple(int(x) for x in v) in points for v in vertices)
        if complete:  # every one of these 40 seeds completes today
            assert in_hull(point, vertices)


class _Recorder:
    """A GLOP solver that records the parameter string in effect at each solve."""

    def __init__(self, inner: pywraplp.Solver, seen: list[str]) -> None:
        self._inner, self._seen, self._params = inner, seen, ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def SetSolverSpecificParametersAsString(self, text: str) -> bool:
        accepted = bool(self._inner.SetSolverSpecificParametersAsString(text))
        if accepted:
            self._params = text
        return accepted

    def Solve(self) -> int:
        self._seen.append(self._params)
        return int(self._inner.Solve())


def test_a_leximin_split_solves_without_presolve_and_pricing_with_it() -> None:
    """A split with ``exchange`` (leximin's) runs GLOP without presolve; any other with it.

    Presolve made each of a split's hundreds of solves start over; without it, on pools
    whose split stopped short, leximin took half the time. Pricing (``maximize``) and
    maximin's split keep presolve, so the setting must be undone when the split ends:
    every solve of a split with ``exchange`` must be without presolve, and every other
    solve, before and after it, with it (no parameters). The vertices must still be boards
    holding the point.
    """
    splits = 0
    for seed in range(20):
        rng, bounds, points, polytope, point = mixed_point(2000 + seed)
        relaxation = Relaxation(polytope)
        seen: list[str] = []
        relaxation._solver = _Recorder(relaxation._solver, seen)
        for exchange in (True, False, True):
            seen.clear()
            vertices, complete = relaxation.decompose(point, exchange=exchange)
            assert all(tuple(int(x) for x in v) in points for v in vertices)
            if complete:
                assert in_hull(point, vertices)
            wanted = "use_preprocessing: false" if exchange else ""
            assert all(params == wanted for params in seen), (exchange, seen)
            splits += exchange and bool(seen)
            seen.clear()
            relaxation.maximize({v: rng.uniform(-1, 1) for v in range(len(bounds))})
            assert seen == [""], "pricing after a split must have presolve back"
    assert splits >= 10, f"only {splits} leximin splits asked GLOP: this test would not test it"


def test_models_with_more_than_linear_rows_get_no_relaxation() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 3, "x")
    switch = model.new_bool_var("on")
    model.add(x >= 2).only_enforce_if(switch)
    assert Polytope.of(model) is None
    other = cp_model.CpModel()
    y = other.new_int_var(0, 3, "y")
    other.add_max_equality(y, [y, other.new_int_var(0, 1, "z")])
    assert Polytope.of(other) is None


def test_leximin_levels_raise_the_rest_after_the_lowest() -> None:
    # Three profiles of one person each, two seats, and profile 0 can never sit:
    # the others get probability 1 each, profile 0 stays at 0.
    model = cp_model.CpModel()
    xs = [model.new_int_var(0, 1, f"x{i}") for i in range(3)]
    model.add(sum(xs) == 2)
    model.add(xs[0] <= 0)
    polytope = Polytope.of(model)
    assert polytope is not None
    found = leximin_levels(polytope, {0: 0, 1: 1, 2: 2}, [], [1, 1, 1], 2)
    assert found is not None
    levels, point = found
    assert levels[0] == pytest.approx(0.0, abs=1e-9)
    assert levels[1] == pytest.approx(1.0) and levels[2] == pytest.approx(1.0)
    assert point.tolist() == pytest.approx([0.0, 1.0, 1.0])


def _off_face(point: tuple[int, ...], face: Any, polytope: Polytope) -> int:
    """How many of the face's rows and bounds a whole point misses (counted independently)."""
    values = np.array(point, dtype=np.int64)
    missed = sum(
        int(values[v] != limit)
        for v, limit in zip(face.variables.tolist(), face.variable_limits.tolist(), strict=True)
    )
    for r, limit in zip(face.rows.tolist(), face.row_limits.tolist(), strict=True):
        missed += int(int(polytope.matrix[r] @ values) != limit)
    return missed


def _exchange_against_brute_force(seed: int) -> int:
    """``_exchange`` against every whole point: sound, and complete for one moved seat.

    A face is taken at a random mixture of boards (as a split step reaches it) and every
    board is offered as the last one. The neighbours are listed by brute force: the boards
    of the face that equal the offered board with one seat moved from one variable to
    another. Whatever ``_exchange`` returns must be one of them; and when the offered board
    misses one or two of the face's rows and bounds (the case it is for) and a neighbour
    exists, it must find one, since any such move has to mend the first miss. Returns how
    many moves it found.
    """
    rng = random.Random(5000 + seed)
    model, bounds, rows = feasible_model(rng)
    points = whole_points(bounds, rows)
    polytope = Polytope.of(model)
    assert polytope is not None
    checked = found = 0
    for _ in range(4):
        mixed = rng.sample(points, min(len(points), rng.randint(1, 3)))
        shares = np.array([rng.random() + 0.1 for _ in mixed])
        face = _Face.at(polytope, (shares / shares.sum()) @ np.array(mixed, dtype=float))
        on_face = {p for p in points if _off_face(p, face, polytope) == 0}
        for board in points:
            missed = _off_face(board, face, polytope)
            neighbours = {
                p
                for p in on_face
                if sum(abs(a - b) for a, b in zip(p, board, strict=True)) == 2
                and sum(a - b for a, b in zip(p, board, strict=True)) == 0
            }
            for last in (False, True):
                got = _exchange(polytope, face, np.array(board, dtype=float), last=last)
                if got is not None:
                    assert tuple(int(x) for x in got) in neighbours
                    found += 1
                elif 0 < missed <= 2:
                    assert not neighbours, f"missed a move from {board} to {sorted(neighbours)}"
                checked += 1
    assert checked
    return found


@pytest.mark.parametrize("seed", range(40))
def test_exchange_finds_a_board_of_the_face_one_seat_away_exactly_when_there_is_one(
    seed: int,
) -> None:
    _exchange_against_brute_force(seed)


def test_exchange_cases_have_moves_to_find() -> None:
    """The cases above are not vacuous: across them, many moves are found."""
    assert sum(_exchange_against_brute_force(seed) for seed in range(40)) >= 40
