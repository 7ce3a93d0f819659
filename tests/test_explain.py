"""The explanation of a board, checked by hand and against brute force.

Every scenario here is small enough (at most 12 candidates) to enumerate every board with
``itertools.combinations``. The rules are read independently of the engine (through
:class:`brute.Judge`, which re-implements the scenario semantics) and re-keyed by the engine's
stable rule ids, so a rule can be relaxed, dropped or isolated and the best board recomputed:

* a rule's price (relaxed by one seat, dropped) is the best (largest gap, total gap) over all
  boards meeting the modified rules;
* a member is required when no board without them meets the rules, and the rules said to force
  them are an irreducible set doing so; a member improves balance by exactly the difference
  between the chosen board and the best board without them;
* a conflict is irreducible: its rules admit no board, and dropping any one of them admits one;
* the smallest fix is the least total violation, in seats, of any board.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import balancer
from balancer.cli import app
from balancer.engine.model import from_template, lean_template
from balancer.engine.solve import solve
from balancer.explain import Explanation, costs, infeasible
from balancer.explain.costs import Change, RuleExplanation
from balancer.explain.whatif import gaps_of
from balancer.io.files import parse_scenario_text
from balancer.selection.run import Result
from balancer.spec.errors import InputError
from balancer.spec.rules import Kind, Rule
from tests.brute import Judge

DATA = Path(__file__).parent / "data" / "explain"

Gaps = tuple[Fraction, Fraction]
"""(largest gap, total gap) of a board: the part of the objective an explanation is about."""


# ---------------------------------------------------------------------------------------------
# Brute force, keyed by the engine's rule ids
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """``lo <= members among the rows of mask <= hi``."""

    mask: int
    lo: int
    hi: int

    def violation(self, board: int) -> int:
        """Seats by which a board misses the rule (0 when it meets it)."""
        count = (board & self.mask).bit_count()
        return max(0, self.lo - count) + max(0, count - self.hi)


Rules = dict[str, Bound]


def side(rule_id: str) -> str:
    """Which bound a rule exists for, read from its id: "min", "max" or "exact"."""
    if rule_id.endswith(":min"):
        return "min"
    if rule_id.endswith(":max") or rule_id.startswith("cap:"):
        return "max"
    return "exact"


class Brute:
    """Every board of a small pool, judged by :class:`brute.Judge` under changeable rules."""

    def __init__(self, frame: pd.DataFrame, spec: Mapping[str, Any]) -> None:
        self.frame = frame
        self.spec = spec
        self.judge = Judge(frame, spec)
        self.size = self.judge.size
        self.ids = self.judge.ids
        self.rules = self._rules()
        self.criteria = sorted(
            set(spec.get("quotas") or {})
            | set(spec.get("targets") or {})
            | {c for g in spec.get("groups") or [] for c in g["where"]}
        )

    def _rules(self) -> Rules:
        """The judge's rules under the engine's ids (a quota becomes a min and/or a max rule).

        The engine leaves out what can never be broken: a minimum of 0, a maximum of the whole
        board, a cap on a value fewer candidates share than the cap allows.
        """
        n = self.size
        rules: Rules = {}
        for rule in self.judge.rules:
            kind = rule.name.split(":", 1)[0]
            if kind in {"quota", "group"}:
                if rule.lo > 0:
                    rules[f"{rule.name}:min"] = Bound(rule.rows, rule.lo, n)
                if rule.hi < n:
                    rules[f"{rule.name}:max"] = Bound(rule.rows, 0, rule.hi)
            elif kind == "cap":
                if rule.rows.bit_count() > rule.hi:
                    rules[rule.name] = Bound(rule.rows, 0, rule.hi)
            else:
                rules[rule.name] = Bound(rule.rows, rule.lo, rule.hi)
        return rules

    def row(self, candidate: str) -> int:
        return self.ids.index(candidate)

    def rows(self, candidates: Sequence[str]) -> list[int]:
        return sorted(self.row(c) for c in candidates)

    # -- changed rules -----------------------------------------------------------------------

    def dropped(self, *rule_ids: str) -> Rules:
        return {k: v for k, v in self.rules.items() if k not in rule_ids}

    def relaxed(self, rule_id: str) -> Rules | None:
        """The rules with one more seat of room on the side ``rule_id`` exists for."""
        rule = self.rules[rule_id]
        if side(rule_id) == "min" and rule.lo > 0:
            return {**self.rules, rule_id: replace(rule, lo=rule.lo - 1)}
        if side(rule_id) == "max":
            return {**self.rules, rule_id: replace(rule, hi=rule.hi + 1)}
        return None

    def only(self, rule_ids: Sequence[str]) -> Rules:
        return {k: self.rules[k] for k in rule_ids if k != "board-size"}

    # -- enumeration -------------------------------------------------------------------------

    def boards(
        self, rules: Mapping[str, Bound], *, without: Sequence[int] = (), within: Sequence[int] = ()
    ) -> Iterator[tuple[int, ...]]:
        """Every board of the right size meeting ``rules``, avoiding and holding given rows."""
        must = set(within)
        allowed = [r for r in range(len(self.ids)) if r not in set(without)]
        for combo in itertools.combinations(allowed, self.size):
            if not must <= set(combo):
                continue
            board = sum(1 << r for r in combo)
            if all(rule.violation(board) == 0 for rule in rules.values()):
                yield combo

    def gaps(self, board: Sequence[int]) -> Gaps:
        gaps = self.judge.gaps(list(board))
        return max(gaps, default=Fraction(0)), sum(gaps, Fraction(0))

    def best(
        self, rules: Mapping[str, Bound], *, without: Sequence[int] = (), within: Sequence[int] = ()
    ) -> Gaps | None:
        """The best (largest gap, total gap) of any board meeting the rules; None: no board."""
        found = [self.gaps(b) for b in self.boards(rules, without=without, within=within)]
        return min(found, default=None)

    def admits(
        self, rules: Mapping[str, Bound], *, without: Sequence[int] = (), within: Sequence[int] = ()
    ) -> bool:
        return next(self.boards(rules, without=without, within=within), None) is not None

    def meets(self, rules: Mapping[str, Bound], board: Sequence[int]) -> bool:
        mask = sum(1 << r for r in board)
        return len(set(board)) == self.size and all(
            rule.violation(mask) == 0 for rule in rules.values()
        )

    def least_violation(self, limits: Mapping[str, int] | None = None) -> int | None:
        """The fewest seats of rule violation, summed over rules, of any board.

        That is the smallest total change of rule bounds that admits a board: a board missing
        a rule by k seats is admitted once that rule moves by k. ``limits`` caps each rule's
        move (rule id to seats); a board needing more is not admitted.
        """
        limits = limits or {}
        best: int | None = None
        for combo in itertools.combinations(range(len(self.ids)), self.size):
            board = sum(1 << r for r in combo)
            total = 0
            for rule_id, rule in self.rules.items():
                seats = rule.violation(board)
                if seats > limits.get(rule_id, self.size):
                    break
                total += seats
            else:
                best = total if best is None else min(best, total)
        return best

    def minimal_conflicts(self) -> list[frozenset[str]]:
        """Every minimal set of rules no board meets (board size always held), by enumeration.

        Each board's set of met rules is a bitmask; a set of rules is possible when some board
        meets all of them. A minimal conflict is an impossible set whose every one-smaller
        subset is possible. Only for a handful of rules (2 ** rules subsets).
        """
        names = [r for r in self.rules if r != "board-size"]
        met: set[int] = set()
        for combo in itertools.combinations(range(len(self.ids)), self.size):
            board = sum(1 << r for r in combo)
            met.add(sum(1 << k for k, n in enumerate(names) if self.rules[n].violation(board) == 0))

        @functools.cache
        def possible(subset: int) -> bool:
            return any(subset & mask == subset for mask in met)

        found = []
        for subset in range(1 << len(names)):
            if possible(subset):
                continue
            members = [k for k in range(len(names)) if subset >> k & 1]
            if all(possible(subset & ~(1 << k)) for k in members):
                found.append(frozenset(names[k] for k in members))
        return found

    def irreducible(
        self, rule_ids: Sequence[str], *, without: Sequence[int] = (), within: Sequence[int] = ()
    ) -> bool:
        """The rules admit no board, and dropping any one of them admits one."""
        rules = self.only(rule_ids)
        if not rules or self.admits(rules, without=without, within=within):
            return False
        return all(
            self.admits(
                {k: v for k, v in rules.items() if k != dropped}, without=without, within=within
            )
            for dropped in rules
        )

    def swaps(self, board: Sequence[int], member: int) -> int:
        """Outsiders who could take ``member``'s seat, every rule met and both gaps unchanged."""
        chosen = self.gaps(board)
        rest = [r for r in board if r != member]
        return sum(
            1
            for r in range(len(self.ids))
            if r not in board
            and self.meets(self.rules, [*rest, r])
            and self.gaps([*rest, r]) == chosen
        )


def pool(columns: str, text: str) -> pd.DataFrame:
    """A pool from whitespace-separated rows: ``pool("id gender", "a1 man\\nw1 woman")``."""
    rows = [line.split() for line in text.strip().splitlines()]
    return pd.DataFrame(rows, columns=columns.split())


def run(frame: pd.DataFrame, spec: Mapping[str, Any], **options: Any) -> tuple[Result, Brute]:
    """The engine's selection and the brute-force yardstick for one pool and scenario."""
    full = {"name": "explain test", "pool": "inline.csv", **spec}
    result = balancer.select(parse_scenario_text(yaml.safe_dump(full)), frame, workers=1, **options)
    brute = Brute(frame, full)
    engine_ids = {r.id for r in result.problem.rules} - {"board-size"}
    assert set(brute.rules) == engine_ids, "the engine and brute force read different rules"
    return result, brute


@contextmanager
def showing(frame: pd.DataFrame, spec: Mapping[str, Any]) -> Iterator[None]:
    """A failed check on a random case says the case itself, ready to paste into a fixture."""
    try:
        yield
    except AssertionError as error:
        raise AssertionError(f"{frame.to_csv(index=False)}\n{yaml.safe_dump(spec)}") from error


def optimal_cases(
    rng: random.Random,
    count: int,
    shape: Callable[[dict[str, Any]], None],
    *,
    why_not: bool = False,
) -> Iterator[tuple[pd.DataFrame, dict[str, Any], Result, Brute]]:
    """``count`` random feasible cases without relax_limits, each shaped by ``shape``, solved.

    Cases the scenario check refuses (a min above a max after rounding) or that have no board
    are skipped: the explanation of a board is what the callers check.
    """
    found = 0
    while found < count:
        frame, spec = random_case(rng)
        spec.pop("relax_limits", None)
        shape(spec)
        options = {"why_not": frame["id"].tolist()} if why_not else {}
        try:
            result, brute = run(frame, spec, **options)
        except InputError:
            continue
        if result.status == "optimal":
            yield frame, spec, result, brute
            found += 1


def seats(largest: int, total: int) -> Gaps:
    """Gaps written by hand, as the exact numbers brute force and the report give."""
    return Fraction(largest), Fraction(total)


def explained(result: Result) -> Explanation:
    explanation = result.report.explanation
    assert explanation is not None
    return explanation


def rule(result: Result, rule_id: str) -> RuleExplanation:
    (found,) = [r for r in explained(result).rules if r.id == rule_id]
    return found


def chosen_gaps(result: Result) -> Gaps:
    """The chosen board's exact gaps (both 0 when the scenario has no targets)."""
    objective = result.report.objective
    if objective is None:
        assert not result.problem.targets
        return seats(0, 0)
    return Fraction(objective.max_gap_exact), Fraction(objective.total_gap_exact)


def same_price(change: Change | None, best: Gaps | None, chosen: Gaps) -> None:
    """An engine price equals the brute-force best board under the changed rules."""
    assert change is not None
    if best is None:
        assert not change.possible
        return
    assert change.possible
    assert change.max_gap == pytest.approx(float(best[0]))
    assert change.total_gap == pytest.approx(float(best[1]))
    assert change.max_gap_change == pytest.approx(float(best[0] - chosen[0]))
    assert change.total_gap_change == pytest.approx(float(best[1] - chosen[1]))


def check_board(result: Result, brute: Brute) -> Gaps:
    """The board meets every rule and is as balanced as the best board: the baseline."""
    board = brute.rows(result.roster_ids)
    assert brute.meets(brute.rules, board)
    best = brute.best(brute.rules)
    assert best is not None
    assert brute.gaps(board) == best == chosen_gaps(result)
    return best


def check_rules(result: Result, brute: Brute) -> None:
    """Every rule's class and every price against brute force.

    A rule binds exactly when the best board with it relaxed by a seat, or dropped, is better
    balanced than the chosen one, whether or not the board meets it exactly (with whole seats,
    a rule met with room to spare can keep out a better board that breaks it by more). A rule
    that does not bind is slack, pool-limited or tight at no cost. Every price given is the
    brute-force best; a binding or tight rule always has its price given.
    """
    chosen = check_board(result, brute)
    outcomes = {o.id: o for o in result.report.constraints}
    excluded = sum(b.mask for k, b in brute.rules.items() if k.startswith("exclude:"))
    for explanation in explained(result).rules:
        if explanation.id == "board-size":
            assert explanation.status == "tight, no cost"
            continue
        bound = brute.rules[explanation.id]
        outcome = outcomes[explanation.id]
        available = (bound.mask & ~excluded).bit_count()
        assert explanation.available == available
        assert explanation.pool_limited == (side(explanation.id) == "min" and available <= bound.lo)
        relaxed_rules = brute.relaxed(explanation.id)
        relaxed = None if relaxed_rules is None else brute.best(relaxed_rules)
        dropped = brute.best(brute.dropped(explanation.id))
        binds = any(g is not None and g < chosen for g in (relaxed, dropped))
        if (binds or outcome.tight) and result.problem.targets:
            assert explanation.dropped is not None, explanation
            assert (explanation.relaxed is None) == (relaxed_rules is None), explanation
        if explanation.relaxed is not None:
            assert relaxed_rules is not None
            same_price(explanation.relaxed, relaxed, chosen)
        if explanation.dropped is not None:
            same_price(explanation.dropped, dropped, chosen)
        if binds:
            assert explanation.status == "binding", explanation
            check_named_board(brute, result, explanation, relaxed_rules)
        elif not outcome.tight:
            assert explanation.status == "slack", explanation
        elif explanation.pool_limited:
            assert explanation.status == "pool-limited", explanation
        else:
            assert explanation.status == "tight, no cost", explanation


def check_named_board(
    brute: Brute, result: Result, explanation: RuleExplanation, relaxed_rules: Rules | None
) -> None:
    """The board a binding rule names (who comes in and goes out) meets the changed rules and
    is as balanced as the brute-force best board under them."""
    change = explanation.relaxed if relaxed_rules is not None else explanation.dropped
    rules = relaxed_rules if relaxed_rules is not None else brute.dropped(explanation.id)
    assert change is not None and change.possible, explanation
    assert change.comes_in and change.goes_out, explanation  # a better board is another board
    board = brute.rows(result.roster_ids)
    named = sorted(set(board) - set(brute.rows(change.goes_out)) | set(brute.rows(change.comes_in)))
    assert brute.meets(rules, named), explanation
    assert brute.gaps(named) == brute.best(rules), explanation
    # ...and of those best-balanced boards, the first by the tie-break's first level (the
    # score, then the lottery's first numbers), as the selection itself would choose.
    first = min(brute.judge.key(list(b))[:4] for b in brute.boards(rules))
    assert brute.judge.key(named)[:4] == first, explanation


def check_members(result: Result, brute: Brute) -> None:
    """Every member's reason against the best boards without them.

    A tie-break member's interchangeable count is the number of outsiders who could take
    their seat with every rule still met and both gap figures unchanged.
    """
    chosen = check_board(result, brute)
    board = brute.rows(result.roster_ids)
    members = explained(result).members
    assert [m.id for m in members] == result.roster_ids
    for member in members:
        row = brute.row(member.id)
        without = brute.best(brute.rules, without=[row])
        if member.reason == "required":
            assert without is None, member
            assert brute.irreducible(member.forced_by, without=[row]), member
        elif member.reason == "improves balance":
            assert without is not None and without > chosen, member
            assert member.max_gap_without == pytest.approx(float(without[0]))
            assert member.total_gap_without == pytest.approx(float(without[1]))
        else:
            assert member.reason == "tie-break"
            assert without == chosen, member
            assert member.interchangeable == brute.swaps(board, row), member


def check_why_not(result: Result, brute: Brute) -> None:
    """Every why-not answer against the best boards with the candidate."""
    chosen = check_board(result, brute)
    board = brute.rows(result.roster_ids)
    for answer in explained(result).why_not:
        row = brute.row(answer.id)
        if row in board:
            assert answer.reason == "on the board"
            continue
        if f"exclude:{answer.id}" in brute.rules:
            assert answer.reason == "excluded"
            assert answer.rules == [f"exclude:{answer.id}"]
            continue
        with_them = brute.best(brute.rules, within=[row])
        if answer.reason == "no board":
            assert with_them is None, answer
            assert brute.irreducible(answer.rules, within=[row]), answer
        elif answer.reason == "less balanced":
            assert with_them is not None and with_them > chosen, answer
            assert answer.max_gap_with == pytest.approx(float(with_them[0]))
            assert answer.total_gap_with == pytest.approx(float(with_them[1]))
        else:
            assert answer.reason == "tie-break"
            assert with_them == chosen, answer


# ---------------------------------------------------------------------------------------------
# 1. Rule classes and prices
# ---------------------------------------------------------------------------------------------

# The only three SIDS candidates are men of region A; a board of 4 must hold all three, so it
# cannot be 2 women + 2 men and 2 A + 2 B at once: the best is 3 men and 3 A (gap 1 each).
SIDS_POOL = pool(
    "id gender region sids",
    """
    a1 man A yes
    a2 man A yes
    a3 man A yes
    w1 woman A no
    w2 woman A no
    w3 woman B no
    w4 woman B no
    m1 man B no
    m2 man B no
    m3 man A no
    """,
)
SIDS_SPEC: dict[str, Any] = {
    "board_size": 4,
    "quotas": {"sids": {"yes": {"min": 3}}},
    "targets": {"gender": "equal", "region": "equal"},
}


@pytest.fixture(scope="module")
def sids() -> tuple[Result, Brute]:
    return run(SIDS_POOL, SIDS_SPEC, why_not=["w1", "m3", "m1", "a1"])


def test_binding_minimum_is_priced_and_pool_limited(sids: tuple[Result, Brute]) -> None:
    result, brute = sids
    assert result.status == "optimal"
    assert {"a1", "a2", "a3"} <= set(result.roster_ids)
    assert chosen_gaps(result) == seats(1, 4)
    quota = rule(result, "quota:sids=yes:min")
    assert quota.status == "binding"
    assert quota.pool_limited and quota.available == 3
    assert quota.relaxed is not None and quota.dropped is not None
    assert (quota.relaxed.max_gap, quota.relaxed.total_gap) == (0, 0)
    assert (quota.dropped.max_gap, quota.dropped.total_gap) == (0, 0)
    assert quota.dropped.max_gap_change == -1 and quota.dropped.total_gap_change == -4
    assert "from 1 to 0 seats" in quota.sentence
    assert "only 3 such candidates" in quota.sentence
    # Relaxed to 2 SIDS seats: one SIDS man leaves for a woman of region B.
    assert quota.relaxed.goes_out and set(quota.relaxed.goes_out) <= {"a1", "a2", "a3"}
    assert {brute.judge.table["gender"].iat[brute.row(c)] for c in quota.relaxed.comes_in} == {
        "woman"
    }
    check_rules(result, brute)


def test_recruitment_names_one_woman_of_region_b_with_sids(sids: tuple[Result, Brute]) -> None:
    result, brute = sids
    (advice,) = explained(result).recruitment
    assert advice.rule == "quota:sids=yes:min"
    assert advice.total == 1
    assert [(r.count, r.profile) for r in advice.recruits] == [
        (1, {"gender": "woman", "region": "B", "sids": "yes"})
    ]
    # With that one recruit the quota costs nothing: the best board with every rule is as
    # balanced as the best board without the quota (brute force on the enlarged pool).
    recruit = pd.DataFrame([["new", "woman", "B", "yes"]], columns=SIDS_POOL.columns)
    bigger = Brute(pd.concat([SIDS_POOL, recruit], ignore_index=True), brute.spec)
    assert (
        bigger.best(bigger.rules) == brute.best(brute.dropped("quota:sids=yes:min")) == seats(0, 0)
    )


def test_binding_minimum_members_and_why_not(sids: tuple[Result, Brute]) -> None:
    result, brute = sids
    reasons = {m.id: m for m in explained(result).members}
    for member in ("a1", "a2", "a3"):
        assert reasons[member].reason == "required"
        assert reasons[member].forced_by == ["quota:sids=yes:min"]
        assert "At least 3 seats for candidates whose sids is yes" in reasons[member].sentence
    (fourth,) = set(result.roster_ids) - {"a1", "a2", "a3"}
    assert fourth in {"w3", "w4"}  # the 4th seat: a woman of region B, one of two
    assert reasons[fourth].reason == "tie-break" and reasons[fourth].interchangeable == 1
    answers = {a.id: a for a in explained(result).why_not}
    assert answers["a1"].reason == "on the board"
    # w1 (woman of A) makes region 4 A: largest gap 2; m3 (man of A): 4 men and 4 A.
    assert answers["w1"].reason == "less balanced"
    assert (answers["w1"].max_gap_with, answers["w1"].total_gap_with) == (2, 6)
    assert answers["m3"].reason == "less balanced"
    assert (answers["m3"].max_gap_with, answers["m3"].total_gap_with) == (2, 8)
    assert answers["m1"].reason == "less balanced"  # man of B: region fine, 4 men
    check_members(result, brute)
    check_why_not(result, brute)


# Region A may hold 1 seat (a binding maximum: the target is 2); women need 2 seats (met
# exactly, at no cost: the gender target asks for 2 anyway); region B needs 1 (it gets 3, so
# 2 to spare); the only two experts must both sit (pool-limited, but they fit the targets).
MIXED_POOL = pool(
    "id gender region expert",
    """
    e1 woman B yes
    e2 man B yes
    wa1 woman A no
    wa2 woman A no
    ma1 man A no
    ma2 man A no
    ma3 man A no
    wb1 woman B no
    mb1 man B no
    mb2 man B no
    """,
)
MIXED_SPEC: dict[str, Any] = {
    "board_size": 4,
    "quotas": {
        "region": {"A": {"max": 1}, "B": {"min": 1}},
        "gender": {"woman": {"min": 2}},
        "expert": {"yes": {"min": 2}},
    },
    "targets": {"gender": "equal", "region": "equal"},
}


@pytest.fixture(scope="module")
def mixed() -> tuple[Result, Brute]:
    return run(MIXED_POOL, MIXED_SPEC)


def test_binding_maximum(mixed: tuple[Result, Brute]) -> None:
    result, _ = mixed
    assert chosen_gaps(result) == seats(1, 2)
    cap = rule(result, "quota:region=A:max")
    assert cap.status == "binding" and not cap.pool_limited
    assert cap.relaxed is not None and cap.dropped is not None
    assert (cap.relaxed.max_gap, cap.relaxed.total_gap) == (0, 0)
    assert (cap.dropped.max_gap, cap.dropped.total_gap) == (0, 0)
    assert "with one seat more room (or without it), the largest gap would fall from 1 to 0" in (
        cap.sentence
    )


def test_tight_at_no_cost(mixed: tuple[Result, Brute]) -> None:
    result, _ = mixed
    women = rule(result, "quota:gender=woman:min")
    assert women.status == "tight, no cost" and not women.pool_limited
    assert women.dropped is not None and women.dropped.max_gap_change == 0
    assert women.dropped.total_gap_change == 0
    assert "relaxing it would not make the board more balanced" in women.sentence


def test_slack_with_the_right_slack(mixed: tuple[Result, Brute]) -> None:
    result, _ = mixed
    region_b = rule(result, "quota:region=B:min")
    assert region_b.status == "slack"
    assert region_b.sentence.endswith("met with 2 seats to spare.")
    (outcome,) = [o for o in result.report.constraints if o.id == "quota:region=B:min"]
    assert (outcome.achieved, outcome.slack) == (3, 2)


def test_pool_limited_but_not_binding(mixed: tuple[Result, Brute]) -> None:
    result, _ = mixed
    experts = rule(result, "quota:expert=yes:min")
    assert experts.status == "pool-limited"
    assert experts.pool_limited and experts.available == 2
    assert "the pool sets the number" in experts.sentence
    assert not any(a.rule == "quota:expert=yes:min" for a in explained(result).recruitment)


def test_mixed_rules_against_brute_force(mixed: tuple[Result, Brute]) -> None:
    result, brute = mixed
    check_rules(result, brute)
    check_members(result, brute)


def test_slack_rule_that_binds_is_priced() -> None:
    """Boards are integer: a rule met with room to spare can still keep a better board out.

    With region A at least 1, the best board is wa + ma (2 A, 1 to spare), largest gap 1.
    Without it, wb + mb (0 A) is perfectly balanced. Boards with exactly 1 A either break the
    country cap or the (double-weighted) gender target, so the rule is never tight, but it
    costs a seat of gap; the README's test ("relaxed by one seat, or without it, gives a
    better balanced board") says it binds.
    """
    frame = pool(
        "id gender region sector country",
        """
        wa woman A pub X
        ma man A pub Y
        wb woman B pub Y
        mb man B priv X
        """,
    )
    spec = {
        "board_size": 2,
        "quotas": {"region": {"A": {"min": 1}}},
        "caps": {"country": 1},
        "targets": {"gender": "equal", "sector": "equal"},
        "objective": {"weights": {"gender": 2}},
    }
    result, brute = run(frame, spec)
    assert result.roster_ids == ["wa", "ma"]
    assert brute.best(brute.dropped("quota:region=A:min")) == seats(0, 0) < chosen_gaps(result)
    region = rule(result, "quota:region=A:min")
    assert region.status == "binding"
    assert region.dropped is not None and region.dropped.max_gap == 0


# ---------------------------------------------------------------------------------------------
# 2. Member reasons and why-not
# ---------------------------------------------------------------------------------------------

# Board of 4, 2 women + 2 men, 2 A + 2 B. edu1 is the only "edu" candidate (quota: required);
# inc1 is included; wb1 is the only woman of B (improves balance); the 4th seat goes to a man
# of B, by score: mb1, mb2 and mb3 could each take it, mb4 could not (his country Z is wb1's,
# and countries are capped at 1).
MEMBERS_POOL = pool(
    "id gender region sector country score",
    """
    edu1 woman A edu X 0
    inc1 man A pub Y 0
    wb1 woman B pub Z 0
    mb1 man B pub V 1
    mb2 man B pub W 0
    mb3 man B ngo U 2
    mb4 man B pub Z 5
    wa1 woman A pub X 0
    wa2 woman A ngo T 0
    ma1 man A ngo T 0
    """,
)
MEMBERS_SPEC: dict[str, Any] = {
    "board_size": 4,
    "quotas": {"sector": {"edu": {"min": 1}}},
    "caps": {"country": 1},
    "include": ["inc1"],
    "targets": {"gender": "equal", "region": "equal"},
    "objective": {"tie_break": "score"},
}


def test_member_reasons_by_hand() -> None:
    result, brute = run(MEMBERS_POOL, MEMBERS_SPEC)
    # mb4 has the top score but cannot sit with wb1; mb3 has the next best.
    assert result.roster_ids == ["edu1", "inc1", "wb1", "mb3"]
    reasons = {m.id: m for m in explained(result).members}
    assert reasons["edu1"].reason == "required"
    assert reasons["edu1"].forced_by == ["quota:sector=edu:min"]
    assert "At least 1 seat for candidates whose sector is edu" in reasons["edu1"].sentence
    assert reasons["inc1"].reason == "required"
    assert reasons["inc1"].forced_by == ["include:inc1"]
    assert "because the scenario includes them" in reasons["inc1"].sentence
    # Without wb1 the board has either 3 men or 3 of region A: two gaps of 1.
    assert reasons["wb1"].reason == "improves balance"
    assert (reasons["wb1"].max_gap_without, reasons["wb1"].total_gap_without) == (1, 2)
    assert "the largest gap would rise from 0 to 1 seats" in reasons["wb1"].sentence
    assert reasons["mb3"].reason == "tie-break" and reasons["mb3"].interchangeable == 2
    assert "the higher score" in reasons["mb3"].sentence
    check_members(result, brute)


def test_interchangeable_counts_profile_mates_and_others() -> None:
    """mb1's seat could go to mb0 (his profile), mb2 or mb3; not to mb4 (cap): 3."""
    frame = pd.concat(
        [MEMBERS_POOL, pool("id gender region sector country score", "mb0 man B pub V 0")],
        ignore_index=True,
    )
    frame["score"] = ["0", "0", "0", "3", "0", "0", "0", "0", "0", "0", "0"]
    spec = {**MEMBERS_SPEC, "caps": {"country": 2}}  # V is shared by mb0 and mb1, Z by 2
    spec["quotas"] = {**spec["quotas"], "country": {"Z": {"max": 1}}}
    result, brute = run(frame, spec)
    assert result.roster_ids == ["edu1", "inc1", "wb1", "mb1"]
    assert brute.swaps(brute.rows(result.roster_ids), brute.row("mb1")) == 3
    reasons = {m.id: m for m in explained(result).members}
    assert reasons["mb1"].reason == "tie-break" and reasons["mb1"].interchangeable == 3
    check_members(result, brute)


def test_tie_break_that_takes_two_swaps() -> None:
    """Two equally balanced boards with no member in common, and no single swap between them.

    wa + ma and wb + mb are both 1 woman + 1 man; any mixed pair shares a capped country.
    """
    frame = pool("id gender country", "wa woman X\nma man Y\nwb woman Y\nmb man X")
    spec = {"board_size": 2, "caps": {"country": 1}, "targets": {"gender": "equal"}}
    result, brute = run(frame, spec, why_not=["wa", "ma", "wb", "mb"])
    assert sorted(result.roster_ids) in (["ma", "wa"], ["mb", "wb"])
    for member in explained(result).members:
        assert member.reason == "tie-break" and member.interchangeable == 0
        assert "no one outsider can take their seat alone" in member.sentence
    for answer in explained(result).why_not:
        on_board = answer.id in result.roster_ids
        assert answer.reason == ("on the board" if on_board else "tie-break")
    check_members(result, brute)
    check_why_not(result, brute)


def test_required_by_the_board_size_says_so() -> None:
    """A board of 4 from a pool of 4: everyone is required, by the board size."""
    frame = pool("id gender", "a woman\nb man\nc man\nd woman")
    result, brute = run(frame, {"board_size": 4, "targets": {"gender": "equal"}})
    for member in explained(result).members:
        assert member.reason == "required"
        assert brute.best(brute.rules, without=[brute.row(member.id)]) is None
        assert not member.sentence.rstrip().endswith(":"), member.sentence
        assert "exactly 4 members" in member.sentence


# Region A may hold 1 seat and inc (a woman of A) is included: no other candidate of A can
# sit. "o1" is of a gender the target gives no seat. ex is excluded. wb1/wb2 are alike; the
# men of B differ only by country, so the one left out is a tie-break of another profile.
WHY_POOL = pool(
    "id gender region country",
    """
    inc woman A P
    ma1 man A P
    wa1 woman A Q
    ex man B R
    o1 other B S
    wb1 woman B T
    wb2 woman B T
    mb1 man B U
    mb2 man B V
    mb3 man B W
    """,
)
WHY_SPEC: dict[str, Any] = {
    "board_size": 4,
    "quotas": {"region": {"A": {"max": 1}}},
    "caps": {"country": 2},
    "include": ["inc"],
    "exclude": ["ex"],
    "targets": {"gender": {"woman": 0.5, "man": 0.5}, "region": "equal"},
    "seed": 7,
}


def test_why_not_reasons() -> None:
    everyone = WHY_POOL["id"].tolist()
    result, brute = run(WHY_POOL, WHY_SPEC, why_not=everyone)
    answers = {a.id: a for a in explained(result).why_not}
    assert [a.id for a in explained(result).why_not] == everyone
    board = set(result.roster_ids)
    assert "inc" in board and len(board & {"wb1", "wb2"}) == 1
    assert len(board & {"mb1", "mb2", "mb3"}) == 2
    for member in board:
        assert answers[member].reason == "on the board"
    assert answers["ex"].reason == "excluded" and answers["ex"].rules == ["exclude:ex"]
    for other_a in ("ma1", "wa1"):
        assert answers[other_a].reason == "no board"
        assert sorted(answers[other_a].rules) == ["include:inc", "quota:region=A:max"]
    # o1 instead of a man of B: "other" is not listed in the gender target, so it is neutral
    # (no gap of its own); only the man's seat is missed: the gender gap rises by 1.
    assert answers["o1"].reason == "less balanced"
    assert (answers["o1"].max_gap_with, answers["o1"].total_gap_with) == (1, 3)
    assert "the total gap would rise from 2 to 3 seats" in answers["o1"].sentence
    assert "(in the best such board, gender: the gap would rise by 1)" in answers["o1"].sentence
    assert answers["o1"].gap_changes == {"gender": 1.0}
    (left_woman,) = {"wb1", "wb2"} - board
    assert answers[left_woman].reason == "tie-break"
    assert "1 candidate who match" in answers[left_woman].sentence
    (left_man,) = {"mb1", "mb2", "mb3"} - board
    assert answers[left_man].reason == "tie-break"
    assert "can be equally balanced" in answers[left_man].sentence
    check_why_not(result, brute)
    check_members(result, brute)
    check_rules(result, brute)


def test_why_not_unknown_id_is_bad_input() -> None:
    with pytest.raises(InputError, match="not an id in the pool"):
        run(WHY_POOL, WHY_SPEC, why_not=["mb9"])


def test_cli_why_not(tmp_path: Path) -> None:
    (tmp_path / "pool.csv").write_text(WHY_POOL.to_csv(index=False))
    (tmp_path / "scenario.yaml").write_text(
        yaml.safe_dump({"name": "why not", "pool": "pool.csv", **WHY_SPEC})
    )
    out = tmp_path / "out"
    args = ["select", str(tmp_path / "scenario.yaml"), "--out", str(out), "--workers", "1"]
    outcome = CliRunner().invoke(app, [*args, "--why-not", "o1", "--why-not", "ex"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads((out / "report.json").read_text())
    reasons = {a["id"]: a["reason"] for a in report["explanation"]["why_not"]}
    assert reasons == {"o1": "less balanced", "ex": "excluded"}
    markdown = (out / "report.md").read_text()
    assert "## Why not" in markdown and "| o1 | less balanced |" in markdown
    bad = CliRunner().invoke(app, [*args, "--why-not", "nobody"])
    assert bad.exit_code == 2


# ---------------------------------------------------------------------------------------------
# 3. Infeasibility: conflicts and the smallest fix
# ---------------------------------------------------------------------------------------------


def read_fixture(name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    spec = yaml.safe_load((DATA / f"{name}.yaml").read_text())
    frame = pd.read_csv(DATA / spec["pool"], dtype=str, keep_default_na=False)
    return frame, spec


def check_diagnosis(result: Result, brute: Brute, limits: Mapping[str, int] | None = None) -> None:
    """What the README promises: every minimal conflict (up to the stated limit), each one
    irreducible, the sentence over them true, and the fix the smallest."""
    diagnosis = result.report.diagnosis
    assert result.status == "infeasible" and diagnosis is not None
    assert not brute.admits(brute.rules)
    listed = [frozenset(c.rules) for c in diagnosis.conflicts]
    assert len(set(listed)) == len(listed), "a conflict is listed twice"
    for conflict in diagnosis.conflicts:
        assert "board-size" not in conflict.rules
        assert brute.irreducible(conflict.rules), conflict
        if len(conflict.rules) > 1:
            assert "Dropping any one of them removes this conflict; other conflicts may " in (
                conflict.summary
            )
    if len(brute.rules) <= 16:
        every = brute.minimal_conflicts()
        if diagnosis.conflicts_complete:
            assert set(listed) == set(every), "not every minimal conflict is listed"
            count = len(every)
            assert diagnosis.conflicts_sentence == (
                "This is the only minimal conflict among the criteria."
                if count == 1
                else f"These are all {count} minimal conflicts among the criteria."
            )
        else:
            assert set(listed) < set(every) and len(listed) == diagnosis.conflict_limit
    least = brute.least_violation(limits)
    fix = diagnosis.relaxation
    if least is None:
        assert fix is None
        return
    assert fix is not None and fix.seats == least
    assert sum(m.seats for m in fix.moves) == fix.seats
    moved = dict(brute.rules)
    for move in fix.moves:
        before = brute.rules[move.rule]
        assert (move.min_from, move.max_from) == (before.lo, before.hi)
        assert move.seats == (move.min_from - move.min_to) + (move.max_to - move.max_from)
        assert move.seats <= (limits or {}).get(move.rule, brute.size)
        moved[move.rule] = replace(before, lo=move.min_to, hi=move.max_to)
    assert brute.meets(moved, brute.rows(fix.roster))


def test_two_independent_conflicts() -> None:
    frame, spec = read_fixture("two-conflicts")
    result, brute = run(frame, spec)
    diagnosis = result.report.diagnosis
    assert diagnosis is not None
    assert sorted(sorted(c.rules) for c in diagnosis.conflicts) == [
        ["quota:disability=yes:min"],
        ["quota:gender=man:min", "quota:gender=woman:min"],
    ]
    assert diagnosis.shortages == ["disability=yes needs 3 seats, the pool has 2 such candidates."]
    # 3 disabled -> 2 (1 seat); 4 women + 4 men on 6 seats -> 6 (2 seats).
    assert diagnosis.relaxation is not None and diagnosis.relaxation.seats == 3
    assert result.roster_ids == [] and result.report.explanation is None
    check_diagnosis(result, brute)


def test_cli_exit_status_infeasible(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        app, ["select", str(DATA / "two-conflicts.yaml"), "--out", str(tmp_path), "--workers", "1"]
    )
    assert outcome.exit_code == 3, outcome.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "infeasible"
    assert len(report["diagnosis"]["conflicts"]) == 2
    assert not (tmp_path / "roster.csv").exists()


# Women are all of region B, men all of region A. At least 3 women means at least 3 of B,
# against "region B at most 1" and "region A at least 2". Moving the gender quota costs 2
# seats at best; with the gender quotas fixed, the region rules must move 3 seats.
LIMITS_POOL = pool(
    "id gender region",
    """
    w1 woman B
    w2 woman B
    w3 woman B
    w4 woman B
    m1 man A
    m2 man A
    m3 man A
    m4 man A
    """,
)
LIMITS_SPEC: dict[str, Any] = {
    "board_size": 4,
    "quotas": {
        "gender": {"woman": {"min": 3}},
        "region": {"A": {"min": 2}, "B": {"max": 1}},
    },
    "targets": {"gender": "equal"},
}


def test_relax_limits_force_other_rules_to_move() -> None:
    free, free_brute = run(LIMITS_POOL, LIMITS_SPEC)
    assert free_brute.least_violation() == 2
    check_diagnosis(free, free_brute)

    limits = {"quota:gender=woman:min": 0}
    fixed, brute = run(LIMITS_POOL, {**LIMITS_SPEC, "relax_limits": {"quota:gender=*": 0}})
    diagnosis = fixed.report.diagnosis
    assert diagnosis is not None and diagnosis.relaxation is not None
    fix = diagnosis.relaxation
    assert fix.seats == 3 == brute.least_violation(limits)
    assert {m.rule: (m.min_to, m.max_to) for m in fix.moves} == {
        "quota:region=A:min": (1, 4),
        "quota:region=B:max": (0, 3),
    }
    check_diagnosis(fixed, brute, limits)


def test_relax_limits_can_leave_no_fix() -> None:
    """When every rule of a conflict is fixed, no relaxation exists, by brute force too."""
    spec = {**LIMITS_SPEC, "relax_limits": {"quota:*": 0}}
    result, brute = run(LIMITS_POOL, spec)
    limits = dict.fromkeys(brute.rules, 0)
    assert brute.least_violation(limits) is None
    check_diagnosis(result, brute, limits)


def random_case(rng: random.Random) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A small pool and a scenario with demanding quotas (often infeasible)."""
    rows = rng.randint(5, 10)
    ids = [f"r{i}" for i in range(rows)]
    domains = {"gender": ["woman", "man"], "region": ["east", "west", "south"], "org": ["o1", "o2"]}
    frame = pd.DataFrame(
        {"id": ids, **{c: [rng.choice(v) for _ in ids] for c, v in domains.items()}}
    )
    n = rng.randint(2, min(5, rows - 1))
    quotas: dict[str, dict[str, Any]] = {}
    for column in rng.sample(["gender", "region"], rng.randint(1, 2)):
        present = sorted(set(frame[column]))
        for value in rng.sample(present, rng.randint(1, len(present))):
            low = rng.randint(0, n)
            bounds: dict[str, int] = {}
            if rng.random() < 0.7:
                bounds["min"] = low
            if rng.random() < 0.5 or not bounds:
                bounds["max"] = rng.randint(bounds.get("min", 0), n)
            quotas.setdefault(column, {})[value] = bounds
    spec: dict[str, Any] = {"board_size": n, "quotas": quotas, "seed": rng.randint(0, 99)}
    if rng.random() < 0.4:
        spec["caps"] = {"org": rng.randint(0, 2)}
    named = rng.sample(ids, 2)
    if rng.random() < 0.5:
        spec["include"] = [named[0]]
    if rng.random() < 0.3:
        spec["exclude"] = [named[1]]
    if rng.random() < 0.5:
        spec["targets"] = {"gender": "equal"}
    if rng.random() < 0.4:
        column = rng.choice(list(quotas))
        spec["relax_limits"] = {f"quota:{column}=*": rng.randint(0, 1)}
    return frame, spec


def limits_of(brute: Brute, patterns: Mapping[str, int]) -> dict[str, int]:
    """Per-rule limits from ``relax_limits`` patterns, read with plain prefix matching."""
    limits: dict[str, int] = {}
    for pattern, seats in patterns.items():
        assert pattern.endswith("*")
        for rule_id in brute.rules:
            if rule_id.startswith(pattern[:-1]):
                limits[rule_id] = min(seats, limits.get(rule_id, seats))
    return limits


@pytest.mark.slow
def test_random_infeasible_cases_against_brute_force() -> None:
    rng = random.Random(20260)
    checked = 0
    feasible = 0
    overlapping = 0
    while checked < 50:
        frame, spec = random_case(rng)
        try:
            result, brute = run(frame, spec, explain_board=False)
        except InputError:
            continue  # e.g. min above max after rounding: not what this test is about
        if result.status == "optimal":
            assert brute.admits(brute.rules), (frame, spec)
            feasible += 1
            continue
        limits = limits_of(brute, spec.get("relax_limits", {}))
        with showing(frame, spec):
            check_diagnosis(result, brute, limits)
        diagnosis = result.report.diagnosis
        assert diagnosis is not None
        rules = [r for c in diagnosis.conflicts for r in c.rules]
        overlapping += len(rules) > len(set(rules))  # a listing of disjoint ones would miss these
        checked += 1
    assert feasible > 0
    assert overlapping > 0


@pytest.mark.slow
def test_random_explanations_against_brute_force() -> None:
    """Rule prices, member reasons and why-not answers on random feasible cases."""
    rng = random.Random(4242)

    def shape(spec: dict[str, Any]) -> None:
        spec["targets"] = {"gender": "equal", "region": rng.choice(["equal", "pool"])}
        if rng.random() < 0.5:
            spec["objective"] = {"weights": {"region": rng.choice([2, "1/2", "3/2"])}}
        if rng.random() < 0.5:
            where = {"gender": "woman", "region": rng.sample(["east", "west", "south"], 2)}
            spec["groups"] = [{"name": "women of two regions", "where": where, "min": 1}]

    for frame, spec, result, brute in optimal_cases(rng, 50, shape, why_not=True):
        with showing(frame, spec):
            check_rules(result, brute)
            check_members(result, brute)
            check_why_not(result, brute)


@pytest.mark.parametrize("singles_from", [0, 3])
def test_prices_do_not_depend_on_how_blocks_are_split(
    monkeypatch: pytest.MonkeyPatch, singles_from: int
) -> None:
    """Screening halves blocks down to single rules (0) or splits small ones into singles at
    once (the default does that on these small cases): the prices are the brute-force ones."""
    monkeypatch.setattr(costs, "SINGLES_FROM", singles_from)
    rng = random.Random(977)

    def shape(spec: dict[str, Any]) -> None:
        spec["targets"] = {"gender": "equal", "region": "equal"}

    for frame, spec, result, brute in optimal_cases(rng, 12, shape):
        with showing(frame, spec):
            check_rules(result, brute)


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_prices_do_not_depend_on_the_screening_order(
    monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    """Screening orders each family likeliest-to-bind first; any other order of the rules
    must give the same, brute-force, classes and prices (only the number of questions may
    change). Also: the order is a permutation of the rules, families kept together."""
    screening_order = costs._screening_order
    shuffler = random.Random(31)

    def other_order(*args: Any) -> list[Rule]:
        ordered = screening_order(*args)
        tested = args[2]
        assert sorted(r.id for r in ordered) == sorted(r.id for r in tested)
        families = [costs._family(r) for r in ordered]
        assert all(families.index(f) == i or families[i - 1] == f for i, f in enumerate(families))
        if order == "reversed":
            return ordered[::-1]
        shuffler.shuffle(ordered)
        return ordered

    monkeypatch.setattr(costs, "_screening_order", other_order)
    rng = random.Random(6151)

    def shape(spec: dict[str, Any]) -> None:
        spec["targets"] = {"gender": "equal", "region": rng.choice(["equal", "pool"])}

    for frame, spec, result, brute in optimal_cases(rng, 12, shape):
        with showing(frame, spec):
            check_rules(result, brute)


@pytest.mark.slow
def test_template_what_ifs_against_brute_force() -> None:
    """A what-if solved on an edited copy of the lean template (rules dropped, one or two, or
    relaxed by a seat) has the brute-force best gaps under the changed rules, and the copy
    is the one solved (from_template accepts every such question). A relaxed one's board,
    named on a copy of the full template, is a best board under them and the one a model
    built anew names."""
    rng = random.Random(8088)

    def shape(spec: dict[str, Any]) -> None:
        spec["targets"] = {"gender": "equal", "region": rng.choice(["equal", "pool"])}

    asked = named_boards = 0
    for frame, spec, result, brute in optimal_cases(rng, 8, shape):
        problem = result.problem
        template = lean_template(problem)
        full = lean_template(problem, full=True)
        by_id = {r.id: r for r in problem.rules}
        tested = [r for r in problem.rules if r.kind is not Kind.BOARD_SIZE]
        questions: list[tuple[tuple[Rule, ...], Rules]] = []
        for rule in tested:
            questions.append(
                (tuple(r for r in problem.rules if r is not rule), brute.dropped(rule.id))
            )
            relaxed, loosened = costs.relaxed_by_one(rule), brute.relaxed(rule.id)
            if relaxed is not None and loosened is not None:
                kept = tuple(relaxed if r is rule else r for r in problem.rules)
                questions.append((kept, loosened))
        for first, second in itertools.combinations(tested[:6], 2):
            kept = tuple(r for r in problem.rules if r not in (first, second))
            questions.append((kept, brute.dropped(first.id, second.id)))
        with showing(frame, spec):
            for rules, judged in questions:
                assert set(judged) <= set(by_id)
                assert from_template(template, rules) is not None
                answer = solve(
                    problem,
                    workers=1,
                    rules=rules,
                    balance_only=True,
                    template=template,
                    quick=True,
                )
                gaps = gaps_of(problem, answer)
                best = brute.best(judged)
                assert (gaps is None) == (best is None)
                if gaps is not None:
                    assert gaps.key() == best
                asked += 1
                if gaps is None or len(rules) < len(problem.rules):
                    continue
                # A board named from the full template: it meets the changed rules, is as
                # balanced as any, and is the one the model built anew names (the lottery's).
                assert answer.gap_values is not None
                assert from_template(full, rules, answer.gap_values[0]) is not None
                named = solve(
                    problem,
                    workers=1,
                    rules=rules,
                    prove_unique=False,
                    full_template=full,
                    balanced=answer,
                    quick=True,
                )
                board = brute.rows([str(problem.ids.iat[r]) for r in named.rows])
                assert brute.meets(judged, board) and brute.gaps(board) == best
                built = solve(problem, workers=1, rules=rules, prove_unique=False)
                assert named.rows == built.rows
                named_boards += 1
    assert asked > 50 and named_boards > 10


def test_one_seat_of_relaxation_can_be_too_little() -> None:
    """Six seats, men at least 4, women at least 4: one conflict, and the fix moves 2 seats."""
    frame = pd.DataFrame(
        {"id": [f"p{i}" for i in range(10)], "gender": ["man"] * 5 + ["woman"] * 5}
    )
    spec = {"board_size": 6, "quotas": {"gender": {"man": {"min": 4}, "woman": {"min": 4}}}}
    result, brute = run(frame, spec)
    check_diagnosis(result, brute)
    diagnosis = result.report.diagnosis
    assert diagnosis is not None and diagnosis.relaxation is not None
    (conflict,) = diagnosis.conflicts
    assert "relaxing" not in conflict.summary  # relaxing one rule by one seat is not enough
    assert diagnosis.relaxation.seats == 2 == brute.least_violation()
    assert diagnosis.conflicts_sentence == "This is the only minimal conflict among the criteria."


def test_conflicts_beyond_the_limit_are_said_to_exist() -> None:
    """One seat, six values each asking for it: every pair is a minimal conflict (15 > 10)."""
    frame = pd.DataFrame({"id": [f"p{i}" for i in range(6)], "c": [f"v{i}" for i in range(6)]})
    spec = {"board_size": 1, "quotas": {"c": {f"v{i}": {"min": 1} for i in range(6)}}}
    result, brute = run(frame, spec)
    diagnosis = result.report.diagnosis
    assert diagnosis is not None
    assert len(brute.minimal_conflicts()) == 15
    assert not diagnosis.conflicts_complete and len(diagnosis.conflicts) == 10
    assert diagnosis.conflicts_sentence == (
        "The first 10 minimal conflicts found are listed; there are more (the search stops at 10)."
    )
    check_diagnosis(result, brute)


@pytest.mark.parametrize("max_solves", [0, 3, 8, 20])
def test_conflicts_within_a_count_of_solves_are_minimal_and_said_incomplete(
    monkeypatch: pytest.MonkeyPatch, max_solves: int
) -> None:
    """The enumeration's solves are counted: when they run out it lists only conflicts it
    made minimal (checked by brute force), says more may exist, and stops the same way on
    every run."""
    monkeypatch.setattr(infeasible, "MAX_SOLVES", max_solves)
    frame = pd.DataFrame({"id": [f"p{i}" for i in range(6)], "c": [f"v{i}" for i in range(6)]})
    spec = {"board_size": 1, "quotas": {"c": {f"v{i}": {"min": 1} for i in range(6)}}}
    result, brute = run(frame, spec)
    diagnosis = result.report.diagnosis
    assert diagnosis is not None
    again, _ = run(frame, spec)
    assert again.report.diagnosis == diagnosis
    every = {frozenset(c) for c in brute.minimal_conflicts()}
    listed = [frozenset(c.rules) for c in diagnosis.conflicts]
    assert set(listed) <= every and len(set(listed)) == len(listed)
    for conflict in diagnosis.conflicts:
        assert brute.irreducible(conflict.rules), conflict
    assert not diagnosis.conflicts_complete
    assert len(listed) < 10
    assert f"after {max_solves} solves" in diagnosis.conflicts_sentence or (
        not listed and f"{max_solves} solves" in diagnosis.conflicts_sentence
    )


CAPPED_100 = """
name: country caps bind
board_size: 100
pool: {pool}
quotas:
  gender: {{woman: {{min_share: 0.45}}, man: {{min_share: 0.40}}}}
  un_region: {{African: {{min: 16}}, Asia-Pacific: {{min: 16}}}}
  disability: {{"yes": {{min: 2}}}}
caps: {{country: 2}}
targets:
  un_region: {{African: 0.2, Asia-Pacific: 0.15, Eastern European: 0.2,
              Latin American and Caribbean: 0.3, Western European and Others: 0.15}}
  stakeholder_group: equal
  gender: {{woman: 0.5, man: 0.5}}
seed: 7
"""


def _capped_100(folder: Path) -> Path:
    """1,000 generated candidates, 100 seats, two per country: several country caps bind, and
    their best boards without the cap take more than one seat more."""
    from balancer.io.generate import write_pool_csv

    pool = write_pool_csv(folder / "pool.csv", 1000, 5)
    path = folder / "scenario.yaml"
    path.write_text(CAPPED_100.format(pool=pool), "utf-8")
    return path


def _messy_no_weog(folder: Path) -> Path:
    """The messy convener fixture (an XLSX export with its own headers, two spellings of one
    country, blanks, aliases, multi-valued cells, caps) with no Western European and Others
    seat: that cap binds, and its best board without it takes two such members."""
    messy = DATA.parent / "messy"
    text = (messy / "messy.yaml").read_text("utf-8")
    text = text.replace("path: nominations.xlsx", f"path: {messy / 'nominations.xlsx'}")
    text = text.replace(
        "Western European and Others: {min: 1, max: 2}", "Western European and Others: {max: 0}"
    )
    path = folder / "messy.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(("write", "least"), [(_capped_100, 5), (_messy_no_weog, 1)])
def test_named_boards_in_one_solve_match_two_stages(
    write: Callable[[Path], Path], least: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On small problems a relaxed rule's price and its named board come from one solve (the
    balance times a multiplier, plus the lottery); the explanation is the one the two stages
    give (the balance on the lean model, then the lottery with it fixed), on a generated
    pool and on the messy convener fixture, at least ``least`` rules priced that way."""
    import balancer.engine.solve as engine_solve

    path = write(tmp_path)
    asked: list[bool] = []
    named_in_one = engine_solve._named_in_one

    def spy(*args: Any, **kwargs: Any) -> Any:
        answer = named_in_one(*args, **kwargs)
        asked.append(answer is not None)
        return answer

    monkeypatch.setattr(engine_solve, "_named_in_one", spy)
    one = balancer.select(path, workers=1).report.explanation
    assert len(asked) >= least and all(asked)
    monkeypatch.setattr(engine_solve, "balance_then_lottery", lambda handles: None)
    two = balancer.select(path, workers=1).report.explanation
    assert one is not None and two is not None
    binding = [r for r in one.rules if r.status == "binding" and r.relaxed is not None]
    assert len(binding) >= least and all(r.relaxed and r.relaxed.comes_in for r in binding)
    assert [r.model_dump() for r in one.rules] == [r.model_dump() for r in two.rules]
