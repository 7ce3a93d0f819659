"""An independent, brute-force reading of a scenario: the yardstick the solver is measured by.

Nothing here imports the engine. The scenario semantics are re-implemented from the written
specification, as plainly as possible, so that a mistake in ``balancer.engine.problem`` or
``balancer.engine.model`` cannot be mirrored here and cancel itself out in a test:

* every board (every ``itertools.combinations`` of ``board_size`` rows) is enumerated;
* every rule is counted directly on the pool's text cells;
* every gap is an exact :class:`fractions.Fraction`;
* the lottery is recomputed from SHA-256 with bit strings instead of shifts and masks.

That is only affordable for small pools (up to about 14 rows), which is what the property
tests generate.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

TICKET_BITS = 256
SLICE_BITS = 31
LEVELS = TICKET_BITS // SLICE_BITS
"""Lottery levels that fit whole in a 256-bit ticket (8 slices of 31 bits)."""

Key = tuple[Fraction | int, ...]
"""The lexicographic objective of a board: smaller is better."""


def exact(value: Any) -> Fraction:
    """A share or weight as the scenario means it: ``0.4`` is 2/5, ``"1/3"`` a third."""
    return Fraction(str(value).strip())


def seat_bounds(bounds: Mapping[str, Any], board_size: int) -> tuple[int, int]:
    """Seats allowed by a quota or group: a minimum share rounds up, a maximum share down."""
    lo, hi = 0, board_size
    if bounds.get("min") is not None:
        lo = int(bounds["min"])
    if bounds.get("min_share") is not None:
        lo = math.ceil(exact(bounds["min_share"]) * board_size)
    if bounds.get("max") is not None:
        hi = int(bounds["max"])
    if bounds.get("max_share") is not None:
        hi = math.floor(exact(bounds["max_share"]) * board_size)
    return lo, hi


def ticket(seed: int, candidate_id: str) -> int:
    """The candidate's 256-bit lottery ticket, straight from the specification."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{candidate_id}".encode()).digest(), "big")


def lottery_numbers(seed: int, candidate_id: str) -> tuple[int, ...]:
    """The 31-bit lottery numbers of every level, read off the ticket's binary digits.

    Written with a bit string on purpose: the engine uses shifts and masks, so an off-by-one
    in either would show up as a disagreement rather than be repeated.
    """
    bits = format(ticket(seed, candidate_id), f"0{TICKET_BITS}b")
    return tuple(
        int(bits[SLICE_BITS * level : SLICE_BITS * (level + 1)], 2) for level in range(LEVELS)
    )


def _as_list(wanted: Any) -> list[str]:
    return [str(v) for v in wanted] if isinstance(wanted, list) else [str(wanted)]


@dataclass(frozen=True)
class CountRule:
    """``lo <= (board members among rows) <= hi``, named as a violation is reported."""

    name: str
    rows: int  # bitmask of the pool rows the rule counts
    lo: int
    hi: int


@dataclass(frozen=True)
class TargetPair:
    """One targeted (column, value): the board should hold about ``seats`` members with it."""

    column: str
    value: str
    weight: Fraction
    seats: Fraction
    rows: int  # bitmask


class Judge:
    """A scenario read against one pool: checks boards and scores them, independently."""

    def __init__(self, pool: pd.DataFrame, scenario: Mapping[str, Any]) -> None:
        text = pool.astype(str).where(pool.notna(), "")
        self.table = text.reset_index(drop=True).map(str.strip)
        self.scenario = scenario
        self.size = int(scenario["board_size"])
        self.id_column = str(scenario.get("id_column", "id"))
        self.ids: list[str] = self.table[self.id_column].tolist()
        self.rules = self._rules()
        self.targets = self._targets()
        objective = scenario.get("objective") or {}
        tie_break = str(objective.get("tie_break", "lottery"))
        self.scores: list[Fraction] | None = None
        if tie_break != "lottery":
            self.scores = [exact(v) for v in self.table[tie_break]]
        seed = int(scenario.get("seed", 0))
        self.lottery = [lottery_numbers(seed, cid) for cid in self.ids]

    # -- rules ---------------------------------------------------------------------------

    def _mask(self, keep: Iterable[bool]) -> int:
        return sum(1 << row for row, hit in enumerate(keep) if hit)

    def _cells(self, column: str) -> list[str]:
        return self.table[column].tolist()

    def _rules(self) -> list[CountRule]:
        s = self.scenario
        n = self.size
        rules: list[CountRule] = []
        for column, values in (s.get("quotas") or {}).items():
            cells = self._cells(column)
            for value, bounds in values.items():
                lo, hi = seat_bounds(bounds, n)
                mask = self._mask(cell == str(value) for cell in cells)
                rules.append(CountRule(f"quota:{column}={value}", mask, lo, hi))
        for group in s.get("groups") or []:
            conditions = {col: _as_list(w) for col, w in group["where"].items()}
            hits = [
                all(self.table[col].iat[row] in allowed for col, allowed in conditions.items())
                for row in range(len(self.table))
            ]
            lo, hi = seat_bounds(group, n)
            rules.append(CountRule(f"group:{group['name']}", self._mask(hits), lo, hi))
        for column, cap in (s.get("caps") or {}).items():
            cells = self._cells(column)
            for value in sorted({c for c in cells if c != ""}):
                mask = self._mask(cell == value for cell in cells)
                rules.append(CountRule(f"cap:{column}={value}", mask, 0, int(cap)))
        for cid in s.get("include") or []:
            rules.append(CountRule(f"include:{cid}", self._mask(i == cid for i in self.ids), 1, 1))
        for cid in s.get("exclude") or []:
            rules.append(CountRule(f"exclude:{cid}", self._mask(i == cid for i in self.ids), 0, 0))
        return rules

    def _targets(self) -> list[TargetPair]:
        s = self.scenario
        weights = (s.get("objective") or {}).get("weights") or {}
        pairs: list[TargetPair] = []
        for column, rule in (s.get("targets") or {}).items():
            cells = self._cells(column)
            present = sorted({c for c in cells if c != ""})
            if rule == "equal":
                shares = {v: Fraction(1, len(present)) for v in present}
            elif rule == "pool":
                shares = {v: Fraction(cells.count(v), len(cells)) for v in present}
            elif isinstance(rule, dict) and isinstance(rule.get("equal"), list):
                # equal: [A, B]: the listed values only, present or not; the others are neutral
                listed = [str(v) for v in rule["equal"]]
                shares = {v: Fraction(1, len(listed)) for v in listed}
            else:
                # Explicit shares: values the target does not list carry no gap (neutral).
                shares = {str(v): exact(share) for v, share in rule.items()}
            weight = exact(weights.get(column, 1))
            for value, share in shares.items():
                mask = self._mask(cell == value for cell in cells)
                pairs.append(TargetPair(column, value, weight, share * self.size, mask))
        return pairs

    # -- judging boards -------------------------------------------------------------------

    def board_mask(self, rows: Sequence[int]) -> int:
        return sum(1 << r for r in set(rows))

    def violations(self, rows: Sequence[int]) -> list[str]:
        """Names of the rules the board breaks; empty when the board is allowed."""
        broken = []
        if len(rows) != self.size or len(set(rows)) != len(rows):
            broken.append("board-size")
        if any(not 0 <= r < len(self.table) for r in rows):
            broken.append("unknown-row")
        board = self.board_mask(rows)
        for rule in self.rules:
            count = (board & rule.rows).bit_count()
            if count < rule.lo:
                broken.append(f"{rule.name}:min")
            if count > rule.hi:
                broken.append(f"{rule.name}:max")
        return broken

    def gaps(self, rows: Sequence[int]) -> list[Fraction]:
        """Weighted gap ``w * |count - target seats|`` of every targeted (column, value)."""
        board = self.board_mask(rows)
        return [t.weight * abs((board & t.rows).bit_count() - t.seats) for t in self.targets]

    def key(self, rows: Sequence[int]) -> Key:
        """(largest gap, total gap, minus score total, lottery total at level 0, 1, ...)."""
        gaps = self.gaps(rows)
        largest = max(gaps, default=Fraction(0))
        total = sum(gaps, Fraction(0))
        score = -sum((self.scores[r] for r in rows), Fraction(0)) if self.scores else Fraction(0)
        lottery = tuple(sum(self.lottery[r][level] for r in rows) for level in range(LEVELS))
        return (largest, total, score, *lottery)

    def best(self) -> tuple[list[int], Key] | None:
        """The best allowed board by exhaustive enumeration, or None if none is allowed."""
        best: tuple[list[int], Key] | None = None
        everything = range(len(self.table))
        for combo in itertools.combinations(everything, self.size):
            board = self.board_mask(combo)
            if any(
                not rule.lo <= (board & rule.rows).bit_count() <= rule.hi for rule in self.rules
            ):
                continue
            key = self.key(combo)
            if best is None or key < best[1]:
                best = (list(combo), key)
        return best


def feasible(
    board_rows: Sequence[int], pool_df: pd.DataFrame, scenario: Mapping[str, Any]
) -> list[str]:
    """Names of the rules the board (pool row positions) violates; empty if it is allowed."""
    return Judge(pool_df, scenario).violations(list(board_rows))


def objective(board_rows: Sequence[int], pool_df: pd.DataFrame, scenario: Mapping[str, Any]) -> Key:
    """The board's lexicographic objective key; the optimum is the smallest key."""
    return Judge(pool_df, scenario).key(list(board_rows))


def best_board(pool_df: pd.DataFrame, scenario: Mapping[str, Any]) -> tuple[list[int], Key] | None:
    """The optimal board (sorted row positions) and its key, or None if nothing is feasible."""
    return Judge(pool_df, scenario).best()
