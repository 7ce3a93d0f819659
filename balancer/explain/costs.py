"""What each rule costs: binding, tight at no cost, slack, or limited by the pool.

Whether a rule shapes the board is a question for the solver: ask again with the rule
dropped, and with it relaxed by one seat; if either gives a better balanced board, the rule
binds, and the difference is its price. Dropping rules in blocks first (group testing) keeps
the number of questions small; the questions of one round are asked side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from balancer.engine.problem import BalanceProblem
from balancer.engine.recount import RuleOutcome
from balancer.engine.solve import Solution
from balancer.explain.budget import Budget
from balancer.explain.whatif import Gaps, Question, ask_all, fmt, gaps_of, template_for
from balancer.spec.outcomes import RuleClass
from balancer.spec.progress import SILENT, Progress
from balancer.spec.rules import REGISTRY, Kind, Rule

SINGLES_FROM = 12
"""A block of this many rules or fewer that helps (below the first, whole block) is split
into single rules at once. Halving it again pays only when few of its rules bind; where a
family's rules bind densely (29 of 92 country caps on a 200-seat board) the halves nearly
all help too, and each is a question asked for nothing. Every rule still gets its own exact
answer whenever a block holding it helps, so the prices do not depend on this number."""

RuleStatus = RuleClass  # the JSON values are the enum values: "binding", "tight, no cost", ...


class Change(BaseModel):
    """The best board with one rule relaxed by a seat, or dropped, against the chosen one."""

    how: Literal["relaxed by one seat", "dropped"]
    possible: bool
    max_gap: float | None = None
    total_gap: float | None = None
    max_gap_change: float | None = None
    total_gap_change: float | None = None
    comes_in: list[str] = []
    goes_out: list[str] = []


class RuleExplanation(BaseModel):
    """One rule's class, its price when it binds, and the sentence a convener can publish."""

    id: str
    kind: str
    column: str | None = None
    value: str | None = None
    status: RuleStatus
    pool_limited: bool
    available: int
    sentence: str
    relaxed: Change | None = None
    dropped: Change | None = None


def relaxed_by_one(rule: Rule) -> Rule | None:
    """The rule with one seat more room on the side it exists for (None: nothing to relax)."""
    side = REGISTRY[rule.kind].side
    if side == "min" and rule.lo > 0:
        return dataclasses.replace(rule, lo=rule.lo - 1)
    if side == "max":
        return dataclasses.replace(rule, hi=rule.hi + 1)
    return None


def _family(rule: Rule) -> str:
    """Rules screened together: the caps of one column, the quotas of one column, and so on."""
    return f"{rule.kind.value}:{rule.column or rule.group or ''}"


def _screening_order(
    problem: BalanceProblem,
    counts: Sequence[int],
    rules: Sequence[Rule],
    outcomes: Mapping[str, RuleOutcome],
) -> list[Rule]:
    """The rules in the order they are screened: by family, the likeliest to bind first.

    Which rules bind does not depend on this order: dropping more rules never gives a worse
    board, so every block holding a binding rule helps, and every rule of a helping block is
    in the end asked about alone. The number of questions does: group testing is cheap where
    the binding rules sit together and the blocks without any are large (on a 200-seat board
    with 29 binding country caps among 92, in the pool's order they cost 110 questions, in
    this order 45). Two signs of a rule that binds, read off the chosen board, order each
    family: the board meets it with no room to spare, and one seat more on the side it limits
    (a member more for a cap, one fewer for a minimum) would bring the board closer to its
    targets. The order is a pure function of the problem and the board, so it is the same on
    every run.
    """
    n = len(problem.profiles)
    seated = np.zeros(n, dtype=np.int64)
    seated[: len(counts)] = counts[:n]
    sizes = np.fromiter((profile.size for profile in problem.profiles), np.int64, n)
    # The change of the total gap (scaled to whole numbers, as in the model) from one seat more
    # or one fewer for each profile, the rest of the board unchanged.
    more = np.zeros(n, dtype=np.int64)
    fewer = np.zeros(n, dtype=np.int64)
    for target in problem.scaled_targets[1]:
        profiles = np.asarray(target.profiles, np.int64)
        coefficient, offset = target.coefficient, target.offset
        now = coefficient * int(seated[profiles].sum())
        more[profiles] += abs(now + coefficient - offset) - abs(now - offset)
        fewer[profiles] += abs(now - coefficient - offset) - abs(now - offset)

    def promise(rule: Rule) -> tuple[str, bool, bool, int]:
        side = REGISTRY[rule.kind].side
        profiles = np.asarray(problem.profiles_matching(rule.where), np.int64)
        moves = []
        if side != "min":
            moves.append(more[profiles[seated[profiles] < sizes[profiles]]])
        if side != "max":
            moves.append(fewer[profiles[seated[profiles] > 0]])
        best = min((int(m.min()) for m in moves if m.size), default=None)
        outcome = outcomes.get(rule.id)
        tight = outcome is not None and outcome.slack == 0
        return (_family(rule), not tight, best is None, best or 0)

    keys = {rule.id: promise(rule) for rule in rules}
    return sorted(rules, key=lambda rule: keys[rule.id])


def _meets(problem: BalanceProblem, rule: Rule, counts: Sequence[int]) -> bool:
    """Whether a board given as seats per profile keeps to the rule."""
    seats = sum(counts[p] for p in problem.profiles_matching(rule.where) if p < len(counts))
    return rule.lo <= seats <= rule.hi


def _pool_limited(rule: Rule, outcome: RuleOutcome) -> bool:
    """The pool, not the rule, sets the number: every available candidate of it is needed."""
    side = REGISTRY[rule.kind].side
    return side == "min" and outcome.available <= rule.lo


def explain_rules(
    problem: BalanceProblem,
    solution: Solution,
    outcomes: Sequence[RuleOutcome],
    threads: int | None = None,
    progress: Progress = SILENT,
    budget: Budget | None = None,
) -> tuple[list[RuleExplanation], list[tuple[Rule, Gaps]]]:
    """Classify every rule; price the binding ones by re-solving them relaxed and dropped.

    Also returns each binding rule with the exact gaps of the best board without it, which
    the recruitment advice aims for. ``progress`` hears "explain" steps: rules settled of
    rules tested, then binding rules priced. Within ``budget``, rules it does not reach are
    "not computed", with the reason in their sentence.
    """
    budget = budget or Budget.unlimited(threads)
    threads = budget.threads
    undetermined: dict[str, str] = {}  # rule id -> why it was not computed
    out_of_budget = f"not reached within {budget.words()}"
    cut_short = "a what-if solve reached its share of the work budget before its proof"
    chosen = gaps_of(problem, solution)
    assert chosen is not None
    by_id = {o.id: o for o in outcomes}
    # Every rule is tested, not only the tight ones: with whole seats, a rule the board meets
    # with room to spare can still have kept out a better board that breaks it by more.
    tested = [r for r in problem.rules if problem.targets and r.kind is not Kind.BOARD_SIZE]

    # Dropping a rule can only help, and relaxing it helps no more than dropping it. So rules
    # are screened in groups first: if dropping a whole family (all caps on one column, say)
    # does not help, no rule of it binds, and none of them needs a solve of its own.
    # The questions below only drop rules or relax one: each copies one lean model.
    template = template_for(problem) if tested else None

    def without(*dropped: Rule) -> tuple[Rule, ...]:
        names = {r.id for r in dropped}
        return tuple(r for r in problem.rules if r.id not in names)

    def helps(answer: Solution) -> bool:
        gaps = gaps_of(problem, answer)
        return gaps is not None and gaps.key() < chosen.key()

    # Group testing: drop a whole block of rules; if the board gets no better, none of
    # them binds. Otherwise split the block in two and test each half (side by side), down
    # to single rules. Blocks keep families (all caps of one column, say) together, so a few
    # binding rules among many cost a few solves, not one each.
    ordered = _screening_order(problem, solution.counts, tested, by_id)
    dropped_gaps: dict[str, Gaps | None] = {r.id: chosen for r in tested}
    # The proven lean answers of the single-rule questions, kept so that naming a binding
    # rule's board does not solve its balance again (see Question.balanced).
    lean_answer: dict[tuple[str, str], Solution] = {}
    blocks = [ordered] if ordered else []
    settled = 0
    progress.step("explain", settled, len(tested), "rules")
    while blocks:
        if not budget.allows(len(blocks)):
            for block in blocks:
                undetermined.update({r.id: out_of_budget for r in block})
            budget.note(f"{sum(map(len, blocks))} rule prices: {out_of_budget}")
            break

        def screened(index: int, answer: Solution, blocks: list[list[Rule]] = blocks) -> None:
            nonlocal settled
            if not helps(answer) or len(blocks[index]) == 1:
                settled += len(blocks[index])
                progress.step("explain", settled, len(tested), "rules")

        answers = ask_all(
            problem,
            [Question(rules=without(*b), template=template) for b in blocks],
            solution.counts,
            threads,
            chosen,
            screened,
            budget.limit(len(blocks)),
        )
        budget.spend(answers)
        next_blocks = []
        for block, answer in zip(blocks, answers, strict=True):
            proven = answer.status == "optimal"
            if not helps(answer):
                if not proven:  # no better board found, but none ruled out either
                    undetermined.update({r.id: cut_short for r in block})
                    budget.note(f"{len(block)} rule prices: {cut_short}")
                continue
            if len(block) == 1:
                if not proven:
                    undetermined[block[0].id] = cut_short
                    budget.note(f"1 rule price: {cut_short}")
                    continue
                dropped_gaps[block[0].id] = gaps_of(problem, answer)
                lean_answer[(block[0].id, "dropped")] = answer
            elif len(block) <= SINGLES_FROM and len(block) < len(ordered):
                next_blocks += [[rule] for rule in block]
            else:
                middle = len(block) // 2
                next_blocks += [block[:middle], block[middle:]]
        blocks = next_blocks
    helping = [
        r
        for r in tested
        if r.id not in undetermined
        and (g := dropped_gaps[r.id]) is not None
        and g.key() < chosen.key()
    ]
    relaxed_of = {r.id: loose for r in tested if (loose := relaxed_by_one(r)) is not None}
    helped = [r for r in helping if r.id in relaxed_of]
    # A rule relaxed by one seat allows fewer boards than the rule dropped, so where the best
    # board without the rule already keeps within one seat of it, that board is also the
    # best one relaxed (the same gaps, proven): its question is not asked again. It answered
    # 8 of the 17 relaxed questions of 14 small test and generated scenarios (mostly minimums,
    # which a dropped rule moves by one seat), and none of a 200-seat board's 29 country caps
    # (without the cap, 6 to 30 members of that country came in).
    asked: list[Rule] = []
    reused: set[str] = set()
    for rule in helped:
        dropped = lean_answer[(rule.id, "dropped")]
        if _meets(problem, relaxed_of[rule.id], dropped.counts):
            lean_answer[(rule.id, "relaxed")] = dropped
            reused.add(rule.id)
        else:
            asked.append(rule)
    # On small problems each relaxed rule's price and its named board (who would come in and
    # go out) come from one solve of the full model (see engine.solve._named_in_one); on
    # large ones, where the full model has a pick per candidate, the price is asked lean
    # first and the board named below.
    full_template = template_for(problem, full=True) if helping else None  # see binding below
    one_go = full_template is not None
    relaxed_questions = [
        Question(
            rules=(*without(rule), relaxed_of[rule.id]),
            template=template,
            full=one_go,
            full_template=full_template,
        )
        for rule in asked
    ]
    priced = 0

    def price(_: int, __: Solution) -> None:
        nonlocal priced
        priced += 1
        progress.step("explain", priced, len(relaxed_questions), "binding rules relaxed")

    relaxed_answers: list[Solution] = []
    if budget.allows(len(relaxed_questions)):
        relaxed_answers = ask_all(
            problem,
            relaxed_questions,
            solution.counts,
            threads,
            chosen,
            price,
            budget.limit(len(relaxed_questions)),
        )
        budget.spend(relaxed_answers)
    else:
        budget.note(f"{len(asked)} binding rules relaxed by one seat: {out_of_budget}")
    relaxed_gaps: dict[str, Gaps | None] = {}
    board_of: dict[tuple[str, str], Solution] = {}
    for rule in helped:
        if rule.id in reused:
            relaxed_gaps[rule.id] = dropped_gaps[rule.id]
            continue
        got = relaxed_answers.pop(0) if relaxed_answers else None
        if got is None or got.status != "optimal":
            undetermined[rule.id] = out_of_budget if got is None else cut_short
            continue
        relaxed_gaps[rule.id] = gaps_of(problem, got)
        if one_go:  # a full model's answer: its board is the one to name, not a lean balance
            board_of[(rule.id, "relaxed")] = got
        else:
            lean_answer[(rule.id, "relaxed")] = got
    prices: dict[str, tuple[Gaps | None, Gaps | None, bool]] = {}
    for rule in tested:
        has_relaxed = rule.id in relaxed_of
        relaxed_gap = relaxed_gaps.get(rule.id, chosen if has_relaxed else None)
        prices[rule.id] = (relaxed_gap, dropped_gaps[rule.id], has_relaxed)

    # Name the boards (who comes in, who goes out) only for the rules that bind.
    binding = [
        rule
        for rule in tested
        if rule.id not in undetermined
        and any(g is not None and g.key() < chosen.key() for g in prices[rule.id][:2])
    ]
    # One board is named per binding rule: with one seat more room when the rule has a side
    # to relax, else without it. It shows who would come in and go out.
    boards: list[Question] = []
    unnamed: list[tuple[str, str]] = []
    for rule in binding:
        relaxed = relaxed_of.get(rule.id)
        how = "relaxed" if relaxed is not None else "dropped"
        if (rule.id, how) in board_of:
            continue
        known = lean_answer.get((rule.id, how))
        rules = (*without(rule), relaxed) if relaxed is not None else without(rule)
        boards.append(Question(rules=rules, full=True, balanced=known, full_template=full_template))
        unnamed.append((rule.id, how))
    named_count = 0

    def name(_: int, __: Solution) -> None:
        nonlocal named_count
        named_count += 1
        progress.step("explain", named_count, len(boards), "boards named")

    if budget.allows(len(boards), models=2):  # a lean model, then the full one of tie-breaks
        answers = ask_all(
            problem, boards, solution.counts, threads, chosen, name, budget.limit(len(boards), 2)
        )
        budget.spend(answers, models=2)
        named = {key: a for key, a in zip(unnamed, answers, strict=True) if a.status == "optimal"}
        board_of.update(named)  # a board cut short is not the one to name
        if len(named) < len(boards):
            budget.note(f"{len(boards) - len(named)} boards who'd come in/out: {cut_short}")
    else:
        budget.note(f"{len(boards)} boards who would come in and go out: {out_of_budget}")

    result = []
    for rule in problem.rules:
        outcome = by_id[rule.id]
        if outcome.achieved is None:
            continue
        limited = _pool_limited(rule, outcome)
        relaxed_change = dropped_change = None
        status: RuleStatus
        if rule.id in undetermined:
            status = RuleClass.NOT_COMPUTED
            sentence = (
                f"{rule.description.rstrip('.')}: its price was not computed "
                f"({undetermined[rule.id]})."
            )
        else:
            if rule.id in prices:
                relaxed_price, dropped_price, has_relaxed = prices[rule.id]
                if has_relaxed:
                    relaxed_board = board_of.get((rule.id, "relaxed"))
                    relaxed_change = _change(
                        problem,
                        solution,
                        chosen,
                        relaxed_price,
                        "relaxed by one seat",
                        relaxed_board,
                    )
                dropped_board = board_of.get((rule.id, "dropped"))
                dropped_change = _change(
                    problem, solution, chosen, dropped_price, "dropped", dropped_board
                )
            if rule in binding:
                status = RuleClass.BINDING
            elif not outcome.tight:
                status = RuleClass.SLACK
            else:
                status = RuleClass.POOL_LIMITED if limited else RuleClass.TIGHT
            sentence = _sentence(
                rule, outcome, status, limited, relaxed_change, dropped_change, chosen
            )
        result.append(
            RuleExplanation(
                id=rule.id,
                kind=rule.kind.value,
                column=rule.column,
                value=rule.value,
                status=status,
                pool_limited=limited,
                available=outcome.available,
                sentence=sentence,
                relaxed=relaxed_change,
                dropped=dropped_change,
            )
        )
    freed = [(rule, gaps) for rule in binding if (gaps := prices[rule.id][1]) is not None]
    return result, freed


def _change(
    problem: BalanceProblem,
    solution: Solution,
    chosen: Gaps,
    gaps: Gaps | None,
    how: Literal["relaxed by one seat", "dropped"],
    board: Solution | None,
) -> Change:
    if gaps is None:
        return Change(how=how, possible=False)
    change = Change(
        how=how,
        possible=True,
        max_gap=float(gaps.largest),
        total_gap=float(gaps.total),
        max_gap_change=float(gaps.largest - chosen.largest),
        total_gap_change=float(gaps.total - chosen.total),
    )
    if board is not None and board.rows:
        ids = problem.ids  # one lookup per board: .iat per member was 2% of a 200-seat explanation
        before = set(map(str, ids.iloc[solution.rows]))
        after = set(map(str, ids.iloc[board.rows]))
        change.comes_in = sorted(after - before)
        change.goes_out = sorted(before - after)
    return change


def _improvement(change: Change | None, chosen: Gaps) -> str | None:
    if change is None or not change.possible or change.max_gap is None:
        return None
    assert change.total_gap is not None
    if change.max_gap < chosen.largest:
        return (
            f"the largest gap would fall from {fmt(chosen.largest)} to {fmt(change.max_gap)} seats"
        )
    if change.total_gap < chosen.total:
        return (
            f"the largest gap would stay {fmt(chosen.largest)} but the total gap would fall "
            f"from {fmt(chosen.total)} to {fmt(change.total_gap)} seats"
        )
    return None


def _sentence(
    rule: Rule,
    outcome: RuleOutcome,
    status: RuleStatus,
    limited: bool,
    relaxed: Change | None,
    dropped: Change | None,
    chosen: Gaps,
) -> str:
    base = rule.description.rstrip(".")
    supply = (
        f" The pool has only {outcome.available} such candidate{'s' * (outcome.available != 1)}."
        if limited
        else ""
    )
    if status == RuleClass.SLACK:
        return f"{base}: met with {outcome.slack} seat{'s' * (outcome.slack != 1)} to spare."
    if status == RuleClass.BINDING:
        relaxed_gain = _improvement(relaxed, chosen)
        dropped_gain = _improvement(dropped, chosen)
        if relaxed_gain and relaxed_gain == dropped_gain:
            gain = f"with one seat more room (or without it), {relaxed_gain}"
        elif relaxed_gain:
            gain = f"with one seat more room, {relaxed_gain}; without it, {dropped_gain}"
        else:
            gain = f"without it, {dropped_gain}"
        return f"{base} binds: {gain}.{supply}"
    if status == RuleClass.POOL_LIMITED:
        return f"{base}: met exactly, and the pool sets the number.{supply}"
    if rule.kind in {Kind.INCLUDE, Kind.EXCLUDE, Kind.BOARD_SIZE}:
        return f"{base}: met; it does not change how balanced the board can be."
    return f"{base}: met exactly, but relaxing it would not make the board more balanced."
