"""The CP-SAT model: seats per profile, every rule as a counting constraint, exact gaps.

This is the one module that builds a balance model or adds to one: :func:`build_model` makes
it, and the small named functions at the end extend it for the questions the other layers ask
(the changes from a given board, the no-good cuts of alternatives and of the uniqueness proof,
caps on the gaps, the total seats of rule violation). Every solve of such a model goes through
the lexicographic driver of :mod:`balancer.engine.solve`.

Decision variables are ``pick[p][j]``: "profile p gives at least j+1 seats", so a profile's
seat count is the sum of its picks and, because picks are ordered, the seats always go to the
profile's best members (see :mod:`balancer.engine.problem`). A profile gets only as many picks as it
could ever fill, which keeps a million-candidate pool down to a few thousand variables.

Gaps are exact integers: every weight and target is scaled by one common denominator, so
``|seats - share x board_size| x weight`` is compared without float rounding.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from balancer.engine.problem import BalanceProblem
from balancer.spec.rules import Rule

LinearExpr = cp_model.LinearExprT


@dataclass
class BalanceModel:
    """A built model and handles on the variables the solver and explainer read."""

    model: cp_model.CpModel
    problem: BalanceProblem
    rules: list[Rule]
    picks: list[list[cp_model.IntVar]]
    gaps: list[cp_model.IntVar]
    max_gap: cp_model.IntVar | None
    scale: int
    switches: dict[str, cp_model.IntVar] = field(default_factory=dict)
    moves: dict[str, tuple[cp_model.IntVar, cp_model.IntVar]] = field(default_factory=dict)
    gap_bounds: list[int] = field(default_factory=list)  # the largest value each gap can take
    lean: bool = False  # one seat count per profile (see build_model)
    # Each profile's members in the order its picks seat them: the profile's own (best
    # first), or with the rows of a given board first (see build_model's ``first``).
    order: list[np.ndarray] = field(default_factory=list)
    # Each profile's most seats as its variables were given them: a lean variable's domain
    # (read here, since a template copy's handles are the template's: see from_template).
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # Each plain rule's row in the proto (rule id -> constraint index), for copies to edit
    rows: dict[str, int] = field(default_factory=dict)
    _layout: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def all_picks(self) -> list[cp_model.IntVar]:
        return [v for row in self.picks for v in row]

    def layout(self) -> tuple[np.ndarray, np.ndarray]:
        """Every pick's variable index, row after row, and where each profile's row starts
        (one more entry: the end). Worked out once per model (and shared by template copies):
        the solver reads solutions and writes hints through it as arrays, where one Python
        call per pick cost about a tenth of an explanation on a 200-seat board."""
        if self._layout is None:
            lengths = np.fromiter((len(row) for row in self.picks), np.int64, len(self.picks))
            starts = np.zeros(len(self.picks) + 1, np.int64)
            np.cumsum(lengths, out=starts[1:])
            indexes = np.fromiter(
                (v.index for row in self.picks for v in row), np.int64, int(starts[-1])
            )
            self._layout = (indexes, starts)
        return self._layout

    def seats_per_profile(self, picked: np.ndarray) -> np.ndarray:
        """Seats per profile from the value of every pick (in :meth:`layout` order)."""
        _, starts = self.layout()
        running = np.zeros(len(picked) + 1, np.int64)
        np.cumsum(picked, out=running[1:])
        seats: np.ndarray = running[starts[1:]] - running[starts[:-1]]
        return seats

    def pick_members(self) -> np.ndarray:
        """The pool row each pick seats, in :meth:`layout` order."""
        _, starts = self.layout()
        lengths = np.diff(starts)
        members = [order[:k] for order, k in zip(self.order, lengths.tolist(), strict=True) if k]
        return np.concatenate(members) if members else np.zeros(0, np.int64)

    def seats(self, profiles: Iterable[int]) -> LinearExpr:
        """Selected members among the given profiles."""
        return cp_model.LinearExpr.sum([v for p in profiles for v in self.picks[p]])

    def total_gap(self) -> LinearExpr:
        return cp_model.LinearExpr.sum(self.gaps)

    def score_total(self) -> LinearExpr:
        """Sum of the tie-break scores of the members, as exact integers."""
        assert not self.lean, "tie-breaks need the full model"
        problem = self.problem
        variables, units = [], []
        for p, row in enumerate(self.picks):
            members = self.order[p]
            for j, pick in enumerate(row):
                variables.append(pick)
                units.append(problem.score_units(int(members[j])))
        return cp_model.LinearExpr.weighted_sum(variables, units)

    def lottery_total(self, level: int) -> LinearExpr:
        """Sum of the members' lottery numbers at one level (smaller wins)."""
        assert not self.lean, "tie-breaks need the full model"
        numbers = self.problem.lottery_numbers(self.pick_members(), level)
        return cp_model.LinearExpr.weighted_sum(self.all_picks(), numbers.tolist())


def build_model(
    problem: BalanceProblem,
    *,
    rules: Sequence[Rule] | None = None,
    switchable: bool = False,
    patch: Patch | None = None,
    elastic: Mapping[str, int] | None = None,
    lean: bool = False,
    largest_gap: int | None = None,
    first: Collection[int] = (),
    room: bool = False,
) -> BalanceModel:
    """Build the model for ``rules`` (default: all of the problem's rules).

    With ``switchable`` every rule gets a literal that turns it on; the explainer uses these
    as assumptions to find which rules conflict. Then no rule may shrink a profile's picks,
    since a switched-off rule must not leave a trace. A ``patch`` asks "what if": a profile
    with a member fewer, or one that must give at least some seats. ``elastic`` lets named
    rules move by up to so many seats, each move counted in ``handles.moves``; the explainer
    minimises their sum to find the smallest change that makes a board possible.

    A ``lean`` model has one whole-number seat count per profile instead of one pick per
    member: the gaps and every rule depend only on the counts, and the search is far smaller
    (a 200-seat board from 240 profiles: 240 variables instead of 48,000). It cannot break
    ties between members, which is what the full model is for. When the ``largest_gap``
    (scaled) is already known, no profile needs more picks than its targeted values can take
    within that gap: a 200-seat board with five equal regions needs at most 40 per profile.

    ``first`` (pool rows, usually a given board) puts those rows ahead of the rest of their
    profile, each part still best first: a profile then seats the given members before anyone
    else, which is what "the fewest changes to this board" needs (see :func:`add_changes`).
    Gaps and rules depend only on the seat counts, so this changes only who the seats go to.

    With ``room`` every profile with a member keeps its variable (bounded by the rules,
    possibly to 0), and a full model gets one pick more than the rules allow, as far as the
    profile has members: a copy can then drop a rule, or relax it by a seat, by widening
    bounds alone (see :func:`lean_template`).
    """
    active = list(problem.rules if rules is None else rules)
    patch = patch or Patch()
    model = cp_model.CpModel()
    n = problem.board_size
    base = _sizes(problem, patch.fewer)
    matching = [problem.profiles_matching(rule.where) for rule in active]
    elastic = elastic or {}
    bounding = (
        []
        if switchable
        else [
            (rule, profiles)
            for rule, profiles in zip(active, matching, strict=True)
            if rule.id not in elastic
        ]
    )
    upper = _seat_limits(problem, base, bounding, largest_gap)
    if room and not lean:
        upper = np.minimum(base, upper + 1)
    picks = []
    for p, limit in enumerate(upper.tolist()):
        if lean:
            kept = limit > 0 or (room and base[p] > 0)
            row = [model.new_int_var(0, max(limit, 0), f"seats_{p}")] if kept else []
        else:
            row = [model.new_bool_var(f"pick_{p}_{j}") for j in range(max(limit, 0))]
            for earlier, later in itertools.pairwise(row):
                model.add_implication(later, earlier)
        picks.append(row)
    handles = BalanceModel(
        model,
        problem,
        active,
        picks,
        [],
        None,
        1,
        lean=lean,
        order=_orders(problem, first),
        upper=upper,
    )
    for p, minimum in patch.at_least.items():
        model.add(handles.seats([p]) >= minimum)

    for rule, profiles in zip(active, matching, strict=True):
        seats = handles.seats(profiles)
        if rule.id in elastic:
            allowed = elastic[rule.id]
            down = model.new_int_var(0, min(allowed, rule.lo), f"down[{rule.id}]")
            up = model.new_int_var(0, allowed, f"up[{rule.id}]")
            handles.moves[rule.id] = (down, up)
            model.add(seats >= rule.lo - down)
            model.add(seats <= rule.hi + up)
        elif switchable:
            switch = model.new_bool_var(f"on[{rule.id}]")
            handles.switches[rule.id] = switch
            model.add(seats >= rule.lo).only_enforce_if(switch)
            model.add(seats <= rule.hi).only_enforce_if(switch)
        else:
            handles.rows[rule.id] = model.add_linear_constraint(seats, rule.lo, rule.hi).index
    if not any(rule.lo == rule.hi == n and not rule.where for rule in active):
        model.add(handles.seats(range(len(picks))) == n)  # the board size is never optional

    _add_gaps(handles)
    return handles


def _sizes(problem: BalanceProblem, fewer: Mapping[int, int] | None = None) -> np.ndarray:
    """Each profile's most seats before any rule: its members (less those ``fewer`` takes
    out), at most the board."""
    fewer = fewer or {}
    return np.fromiter(
        (
            max(0, min(profile.size - fewer.get(p, 0), problem.board_size))
            for p, profile in enumerate(problem.profiles)
        ),
        np.int64,
        len(problem.profiles),
    )


def _seat_limits(
    problem: BalanceProblem,
    base: np.ndarray,
    bounding: Iterable[tuple[Rule, Sequence[int] | np.ndarray]],
    largest_gap: int | None,
) -> np.ndarray:
    """Each profile's most seats: ``base``, at most each bounding rule's ``hi`` for the
    profiles it counts, and (with ``largest_gap``, scaled) at most what the profiles of each
    targeted value can take within that gap. Built models and template copies alike."""
    upper = base.copy()
    for rule, profiles in bounding:
        upper[profiles] = np.minimum(upper[profiles], rule.hi)
    if largest_gap is not None:
        for t in problem.scaled_targets[1]:
            most = (t.offset + largest_gap) // t.coefficient
            upper[t.profiles] = np.minimum(upper[t.profiles], most)
    return upper


def _orders(problem: BalanceProblem, first: Collection[int]) -> list[np.ndarray]:
    """Each profile's members, with the ``first`` rows moved ahead (a stable partition)."""
    if not first:
        return [profile.members for profile in problem.profiles]
    wanted = np.fromiter((int(r) for r in first), dtype=np.int64)
    orders = []
    for profile in problem.profiles:
        members = profile.members
        ahead = np.isin(members, wanted)
        orders.append(np.concatenate([members[ahead], members[~ahead]]) if ahead.any() else members)
    return orders


@dataclass
class LeanTemplate:
    """A model of every rule, built once and copied for each what-if that only drops rules or
    moves their bounds (see :func:`lean_template` and :func:`from_template`); lean, or full
    (one pick per member) for the tie-break of a named board.

    Building a lean model in Python takes about 16 ms on a 200-seat board of 1,175 profiles
    and 99 rules, more than some of its what-ifs take to solve, and an explanation asks a
    hundred of them; a copy of the built proto with a few bounds edited takes about 2 ms. The
    template is :func:`build_model` with ``room``, so a copy asks the same question (the same
    boards meet it) but is not the model built for it: every profile keeps its variable, and
    a dropped rule stays as a row that every board meets. CP-SAT may search it another way, so
    only answers that do not depend on the search path may use it (proven optima, not the
    board found). A full template has one pick more per profile than every rule allows, so
    that each what-if relaxing one rule by a seat fits; a copy fixes the picks its own rules
    leave out to 0 (about 10 ms against 45 ms for building it, on that board).
    """

    handles: BalanceModel
    matching: dict[str, np.ndarray]  # rule id -> the profiles it counts
    base: np.ndarray  # each profile's most seats without any rule: its size, at most the board
    upper: np.ndarray  # ... and with every rule: the template's variable domains


def lean_template(problem: BalanceProblem, *, full: bool = False) -> LeanTemplate:
    """The lean (or ``full``) model of the problem's rules, built with room to relax them,
    for :func:`from_template` to copy."""
    base = _sizes(problem)
    matching = {
        rule.id: np.asarray(problem.profiles_matching(rule.where), np.int64)
        for rule in problem.rules
    }
    handles = build_model(problem, lean=not full, room=True)
    upper = _seat_limits(problem, base, [(r, matching[r.id]) for r in problem.rules], None)
    return LeanTemplate(handles, matching, base, upper)


def from_template(
    template: LeanTemplate, rules: Sequence[Rule], largest_gap: int | None = None
) -> BalanceModel | None:
    """The model of ``rules`` (the problem's own, some dropped or with other bounds), as an
    edited copy of the template; None when a rule is not one of the template's, or a full
    template has too few picks for them. ``largest_gap`` bounds the picks of a full one as
    in :func:`build_model`.

    A dropped rule's row gets the bounds 0 and the board size, which every board meets; each
    profile's seats are bounded by the rules given, as :func:`build_model` bounds them.
    """
    given = {rule.id: rule for rule in rules}
    if len(given) != len(rules) or any(r not in template.handles.rows for r in given):
        return None
    source = template.handles
    n = source.problem.board_size
    bounding = [(rule, template.matching[rule.id]) for rule in rules]
    upper = _seat_limits(source.problem, template.base, bounding, largest_gap)
    if not source.lean and any(
        len(row) < int(u) for row, u in zip(source.picks, upper, strict=True)
    ):
        return None
    model = source.model.clone()
    proto = model.proto
    if source.lean:
        for p in np.flatnonzero(upper != template.upper).tolist():
            if source.picks[p]:
                proto.variables[source.picks[p][0].index].domain[1] = int(upper[p])
    else:  # the picks beyond a profile's seats are fixed to 0
        for row, most in zip(source.picks, upper.tolist(), strict=True):
            for pick in row[most:]:
                proto.variables[pick.index].domain[1] = 0
    for rule in source.rules:
        now = given.get(rule.id)
        lo, hi = (0, n) if now is None else (now.lo, now.hi)
        if (lo, hi) == (rule.lo, rule.hi):
            continue
        row = proto.constraints[source.rows[rule.id]]
        assert row.has_linear() and len(row.linear.domain) == 2, "a rule is one linear row"
        row.linear.domain[0] = lo
        row.linear.domain[1] = hi
    # The copy's variables have the template's indexes, and a CP-SAT variable handle is its
    # index (expressions, constraints, objectives and solution values all go by it), so the
    # copy keeps the template's handles: wrapping each variable anew cost about 1 s of a
    # 200-seat explanation's 100 copies. Only a handle's domain would read the template's,
    # which is why the copy's own bounds are in ``upper`` (nothing reads a handle's domain).
    return BalanceModel(
        model,
        source.problem,
        list(rules),
        source.picks,
        source.gaps,
        source.max_gap,
        source.scale,
        gap_bounds=list(source.gap_bounds),
        lean=source.lean,
        order=source.order,
        upper=upper if source.lean else np.minimum(np.diff(source.layout()[1]), upper),
        rows=source.rows,
        _layout=source.layout(),
    )


@dataclass(frozen=True)
class Patch:
    """A what-if on the pool: members taken out of profiles, seats a profile must give.

    The balance of a board depends only on how many seats each profile gets, so "without
    this member" is "this profile has one member fewer", exactly, for every gap question.
    """

    fewer: dict[int, int] = field(default_factory=dict)
    at_least: dict[int, int] = field(default_factory=dict)


def _add_gaps(handles: BalanceModel) -> None:
    scale, targets = handles.problem.scaled_targets
    if not targets:
        return
    model = handles.model
    n = handles.problem.board_size
    handles.scale = scale
    largest = 0
    for target in targets:
        term, coefficient, offset = target.term, target.coefficient, target.offset
        seats = handles.seats(target.profiles)
        bound = max(offset, coefficient * n - offset)
        gap = model.new_int_var(0, bound, f"gap[{term.column}={term.value}]")
        model.add(gap >= coefficient * seats - offset)
        model.add(gap >= offset - coefficient * seats)
        below = math.floor(term.seats)
        if below != term.seats:
            # Seats are whole, so the gap is at least the chord through the two whole seat
            # counts around the target: exact at both, valid everywhere, and far tighter
            # for the LP relaxation than the two lines above (which meet at the target).
            slope = coefficient * (2 * below + 1) - 2 * offset
            model.add(gap >= (offset - coefficient * below) + slope * (seats - below))
        handles.gaps.append(gap)
        handles.gap_bounds.append(bound)
        largest = max(largest, bound)
    handles.max_gap = model.new_int_var(0, largest, "max_gap")
    for gap in handles.gaps:
        model.add(handles.max_gap >= gap)


# ---------------------------------------------------------------------------------------------
# Extensions: every constraint or objective added to a built model, by name
# ---------------------------------------------------------------------------------------------


def violation_total(handles: BalanceModel) -> LinearExpr:
    """Seats of rule violation in total: the sum of the elastic rules' moves."""
    return cp_model.LinearExpr.sum([v for pair in handles.moves.values() for v in pair])


def cap_gaps(handles: BalanceModel, largest: int, total: int | None = None) -> None:
    """Only boards whose largest (and total) gap, scaled, are at most these values."""
    if handles.max_gap is None:
        return
    handles.model.add(handles.max_gap <= largest)
    if total is not None:
        handles.model.add(handles.total_gap() <= total)


def fix_gaps(handles: BalanceModel, largest: int, total: int) -> None:
    """Only boards with exactly this balance (scaled largest and total gap)."""
    if handles.max_gap is None:
        return
    handles.model.add(handles.max_gap == largest)
    handles.model.add(handles.total_gap() == total)


def add_changes(handles: BalanceModel, rows: Collection[int]) -> LinearExpr:
    """Members of the board ``rows`` who leave plus candidates who join, per profile count.

    Exact when the model was built with ``first=rows``: a profile then keeps its sitting
    members before it seats anyone new, so ``|seats - sitting|`` changes are all it needs.
    """
    model = handles.model
    on = set(rows)
    changes = []
    for p, profile in enumerate(handles.problem.profiles):
        sitting = int(np.isin(profile.members, list(on)).sum()) if on else 0
        seats = handles.seats([p])
        out = model.new_int_var(0, sitting, f"out_{p}")
        incoming = model.new_int_var(0, handles.problem.board_size, f"in_{p}")
        model.add(out >= sitting - seats)
        model.add(incoming >= seats - sitting)
        changes += [out, incoming]
    return cp_model.LinearExpr.sum(changes)


def avoid_boards(handles: BalanceModel, boards: Iterable[Collection[int]], distance: int) -> None:
    """Only boards sharing at most ``board_size - distance`` members with each given board.

    For a model of one profile per person (``aggregate=False``), where a pick is a person.
    """
    pick_of: dict[int, cp_model.IntVar] = {}
    for order, row in zip(handles.order, handles.picks, strict=True):
        if row:
            assert len(order) == 1, "no-good cuts on people need one profile per person"
            pick_of[int(order[0])] = row[0]
    limit = handles.problem.board_size - distance
    for board in boards:
        shared = [pick_of[r] for r in board if r in pick_of]
        if len(shared) > limit:
            handles.model.add(cp_model.LinearExpr.sum(shared) <= limit)


def forbid_board(handles: BalanceModel, chosen: Sequence[cp_model.IntVar]) -> cp_model.IntVar:
    """A literal that, when true, excludes the board whose set picks are ``chosen``."""
    check = handles.model.new_bool_var("another_board")
    handles.model.add(cp_model.LinearExpr.sum(list(chosen)) <= len(chosen) - 1).only_enforce_if(
        check
    )
    return check


def seated_flags(handles: BalanceModel) -> dict[int, cp_model.IntVar]:
    """For each profile that can have a seat, a literal that may be true only if it has one."""
    flags = {}
    for p, row in enumerate(handles.picks):
        if row:
            flag = handles.model.new_bool_var(f"seated_{p}")
            handles.model.add(handles.seats([p]) >= 1).only_enforce_if(flag)
            flags[p] = flag
    return flags
