"""The fair lottery end to end: distribution, rounding, explanations and published files."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from balancer.engine.load import ScenarioInput, prepare
from balancer.engine.model import Patch
from balancer.engine.problem import BalanceProblem, rows_matching
from balancer.explain import minimal_conflict
from balancer.fair.columns import Distribution, Rule, fair_distribution
from balancer.fair.draw import (
    BOARDS_FILE,
    PROBABILITIES_FILE,
    RECORD_FILE,
    FairnessFigures,
    LotteryRecord,
    SupportBoard,
    board_number,
)
from balancer.fair.rounding import RoundedLottery, round_lottery
from balancer.io.files import Pool, neutralise_cell, safe_csv, write_files
from balancer.io.provenance import provenance
from balancer.present.render import render, render_markdown_file
from balancer.spec.criteria import Commitment, criteria_sha256
from balancer.spec.errors import InputError, Problem
from balancer.spec.progress import Progress, phase
from balancer.spec.rules import Kind
from balancer.spec.scenario import Scenario


@dataclass
class LotteryResult:
    """A fair lottery: the exact distribution, its M-board rounding and the record."""

    problem: BalanceProblem
    distribution: Distribution
    rounded: RoundedLottery
    record: LotteryRecord
    person_probability: list[float]  # per pool row

    def files(self, public: bool = False) -> dict[str, str]:
        """The lottery's files: the convener's full set, or the set meant for publication.

        The public set is what ``balancer verify`` needs and nothing more: ``boards.csv``,
        ``probabilities.csv`` without profiles (a profile names a country, an organisation and
        the sensitive columns; with one-per-country caps it is one person) and with reasons for
        a zero probability that name no rule, and ``lottery.json`` without profile strings.
        ``profiles.csv`` is internal only.
        """
        if public:
            return self._public_files()
        problem = self.problem
        ids = [str(i) for i in problem.ids]
        labels = profile_labels(problem)
        row_profile = [0] * len(ids)
        for p, profile in enumerate(problem.profiles):
            for member in profile.members:
                row_profile[int(member)] = p
        boards_csv = boards_table(ids, self.rounded.boards)
        people = pd.DataFrame(
            {
                "id": ids,
                "profile": [labels[row_profile[r]] for r in range(len(ids))],
                "probability": [f"{v:.9f}" for v in self.person_probability],
                "lottery_probability": [
                    f"{s / self.record.boards:.9f}" for s in self.rounded.seated
                ],
                "why_zero": [self.record.unreachable.get(i, "") for i in ids],
            }
        )
        profiles = pd.DataFrame(
            {
                "profile": labels,
                "candidates": [p.size for p in problem.profiles],
                "probability": [f"{v:.9f}" for v in self.distribution.probabilities],
            }
        )
        return {
            PROBABILITIES_FILE: safe_csv(people),
            "profiles.csv": safe_csv(profiles),
            BOARDS_FILE: boards_csv,
            RECORD_FILE: self.record.model_dump_json(indent=2) + "\n",
        }

    def _public_files(self) -> dict[str, str]:
        ids = [str(i) for i in self.problem.ids]
        excluded = self.problem.excluded
        why_zero = {
            cid: "excluded by the scenario" if cid in excluded else "on no allowed board"
            for cid in self.record.unreachable
        }
        people = pd.DataFrame(
            {
                "id": ids,
                "probability": [f"{v:.9f}" for v in self.person_probability],
                "lottery_probability": [
                    f"{s / self.record.boards:.9f}" for s in self.rounded.seated
                ],
                "why_zero": [why_zero.get(i, "") for i in ids],
            }
        )
        return {
            PROBABILITIES_FILE: safe_csv(people),
            BOARDS_FILE: boards_table(ids, self.rounded.boards),
            RECORD_FILE: public_record(self.record, why_zero).model_dump_json(indent=2) + "\n",
        }

    def page(
        self, public: bool, seed_text: str | None = None, draw: int | None = None
    ) -> LotteryPage:
        """What the lottery report page says (see :func:`render_lottery_page`).

        The drawn board is the one ``seed_text`` picks, or board ``draw`` when given instead.
        """
        ids = [str(i) for i in self.problem.ids]
        unreachable = self.record.unreachable
        eligible = np.array(
            [
                p
                for cid, p in zip(ids, self.person_probability, strict=True)
                if cid not in unreachable
            ]
        )
        seated = np.array(
            [
                s / self.record.boards
                for cid, s in zip(ids, self.rounded.seated, strict=True)
                if cid not in unreachable
            ]
        )
        excluded = self.problem.excluded
        zero_excluded = sorted(c for c in unreachable if c in excluded)
        zero_other = sorted(c for c in unreachable if c not in excluded)
        number = draw if seed_text is None else board_number(seed_text, self.record.boards)
        if number is not None and not 1 <= number <= self.record.boards:
            number = None
        drawn = [] if number is None else [ids[r] for r in self.rounded.boards[number - 1]]
        return LotteryPage(
            scenario=self.problem.scenario.name,
            about=self.problem.scenario.about,
            public=public,
            record=self.record,
            eligible=len(eligible),
            exact=fairness(eligible, self.problem.board_size) if len(eligible) else None,
            lottery=fairness(seated, self.problem.board_size) if len(seated) else None,
            excluded=[] if public else zero_excluded,
            unreachable=[] if public else [(c, unreachable[c]) for c in zero_other],
            excluded_count=len(zero_excluded),
            unreachable_count=len(zero_other),
            seed_text=seed_text,
            number=number,
            drawn=drawn,
        )

    def write(
        self,
        out_dir: Path,
        public: bool = False,
        seed_text: str | None = None,
        draw: int | None = None,
    ) -> list[Path]:
        files = self.files(public)
        files.update(render_lottery_page(self.page(public, seed_text, draw)))
        return write_files(out_dir, files)


RULE_WORDS = {
    "leximin": "leximin: the smallest selection probability any candidate has is as large as "
    "possible; subject to that, the second smallest, and so on",
    "maximin": "maximin: the smallest selection probability any candidate has is as large as "
    "possible",
    "nash": "Nash welfare: the product of the candidates' selection probabilities is as large as "
    "possible (no one is left at zero who could be seated)",
}


@dataclass
class LotteryPage:
    """The lottery report page: rule, probabilities, fairness, the published list, the draw."""

    scenario: str
    about: str | None
    public: bool
    record: LotteryRecord
    eligible: int
    exact: FairnessFigures | None  # over eligible candidates only
    lottery: FairnessFigures | None
    excluded: list[str]  # internal page only: ids the scenario excludes
    unreachable: list[tuple[str, str]]  # internal page only: (id, why no allowed board)
    excluded_count: int
    unreachable_count: int
    seed_text: str | None
    number: int | None
    drawn: list[str]

    @property
    def rule_words(self) -> str:
        return RULE_WORDS.get(self.record.rule, self.record.rule)


def render_lottery_page(page: LotteryPage) -> dict[str, str]:
    """``lottery.html`` and ``lottery.md``: the same look as the selection report."""
    return {
        "lottery.html": render("lottery.html.j2", page=page),
        "lottery.md": render_markdown_file("lottery.md.j2", page=page),
    }


def public_record(record: LotteryRecord, why_zero: dict[str, str]) -> LotteryRecord:
    """``lottery.json`` without profile strings: support boards by weight only."""
    public = record.model_copy(deep=True)
    public.public = True
    public.profiles = {}
    public.unreachable = dict(why_zero)
    for board in public.support:
        board.seats = {}
    return public


def boards_table(ids: list[str], boards: list[list[int]]) -> str:
    """The numbered boards as CSV, the same text :func:`balancer.io.files.safe_csv` would write.

    Written row by row with the csv module (which pandas also uses, with minimal quoting):
    a thousand boards through a DataFrame took longer than solving a small lottery. Each id
    is neutralised once, not once per board it sits on.
    """
    width = max((len(b) for b in boards), default=0)
    safe = [neutralise_cell(i) for i in ids]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["board", *(f"member_{k}" for k in range(1, width + 1))])
    for n, board in enumerate(boards, start=1):
        writer.writerow([str(n), *(safe[r] for r in board)])
    return out.getvalue()


def profile_labels(problem: BalanceProblem) -> list[str]:
    """A readable name per profile: its values, column=value joined by '; '."""
    return [
        "; ".join(f"{c}={v}" for c, v in sorted(p.values.items())) or "everyone"
        for p in problem.profiles
    ]


def fairness(values: np.ndarray, board_size: int) -> FairnessFigures:
    """Minimum, geometric mean (of positive values), Gini, and the share below k/n."""
    fair_share = board_size / len(values)
    positive = values[values > 0]
    ordered = np.sort(values)
    n = len(ordered)
    total = float(ordered.sum())
    gini = (
        float(np.sum((2 * np.arange(1, n + 1) - n - 1) * ordered) / (n * total)) if total else 0.0
    )
    return FairnessFigures(
        minimum=float(values.min()),
        geometric_mean=float(np.exp(np.log(positive).mean())) if len(positive) else 0.0,
        gini=max(0.0, gini),
        share_below_fair=float(np.mean(values < fair_share - 1e-9)),
        fair_share=fair_share,
    )


def why_unreachable(problem: BalanceProblem, profile: int, gap_limited: bool) -> str:
    """Why nobody of this profile can be on an allowed board."""
    for rule in problem.rules:
        if rule.kind is Kind.EXCLUDE and problem.profiles_matching(rule.where) == [profile]:
            return "excluded"
    conflict = minimal_conflict(problem, problem.rules, Patch(at_least={profile: 1}))
    if conflict is None:
        if gap_limited:
            return "every board with them is outside the gap limit (--max-gap-excess)"
        return "no allowed board seats them"  # not expected: the pricer found none
    return "no board with them meets: " + " + ".join(rule.description for rule in conflict)


MOST_BOARDS = 100_000
"""Boards in a published lottery at most: a billion would not fit in memory, let alone a page."""


def run_lottery(
    scenario: ScenarioInput,
    pool: Pool | pd.DataFrame | None = None,
    *,
    rule: Rule = "leximin",
    max_gap_excess: float | None = None,
    boards: int = 1000,
    workers: int | None = None,
    progress: Progress | None = None,
    command: str | None = None,
) -> LotteryResult:
    """The fairest lottery over allowed boards, rounded to ``boards`` equally likely boards.

    Raises :class:`balancer.fair.columns.NoBoard` when no board meets every rule.
    ``progress`` hears read, check, "lottery" (the distribution) and its leximin rounds.
    """
    if not 1 <= boards <= MOST_BOARDS:
        raise InputError(
            [
                Problem(
                    "--boards",
                    str(boards),
                    f"must be between 1 and {MOST_BOARDS:,} (the published list holds every "
                    "board; 1,000 is usual)",
                )
            ]
        )
    started = time.perf_counter()
    problem, file = prepare(scenario, pool, progress=progress)
    written = file.scenario if file is not None else scenario  # as committed, before checks
    assert isinstance(written, Scenario)
    commitment = Commitment(
        criteria_sha256=criteria_sha256(written),
        pool_sha256=problem.pool.sha256,
        seed_source=written.seed_source,
        seed=written.seed,
    )
    with phase(progress, "lottery"):
        distribution = fair_distribution(
            problem, rule, max_gap_excess=max_gap_excess, workers=workers, progress=progress
        )
    rows = len(problem.pool.table)
    person = np.zeros(rows)
    for p, profile in enumerate(problem.profiles):
        person[profile.members] = distribution.probabilities[p]
    rounded = round_lottery(
        problem,
        distribution.compositions,
        distribution.weights,
        distribution.probabilities,
        boards,
    )
    ids = [str(i) for i in problem.ids]
    unreachable: dict[str, str] = {}
    for p, ok in enumerate(distribution.reachable):
        if not ok:
            reason = why_unreachable(problem, p, distribution.gap_limit is not None)
            for member in problem.profiles[p].members:
                unreachable[ids[int(member)]] = reason
    labels = profile_labels(problem)
    record = LotteryRecord(
        scenario=problem.scenario.name,
        rule=rule,
        board_size=problem.board_size,
        candidates=rows,
        boards=boards,
        boards_sha256=hashlib.sha256(boards_table(ids, rounded.boards).encode()).hexdigest(),
        exact=fairness(person, problem.board_size),
        lottery=fairness(np.array(rounded.seated) / boards, problem.board_size),
        rounding_bound=rounded.bound,
        rounding_worst_loss=rounded.worst_loss,
        gap_limit=list(distribution.gap_limit) if distribution.gap_limit else None,
        nash_certificate=distribution.certificate if rule == "nash" else None,
        support=[
            SupportBoard(
                weight=w,
                boards_in_lottery=count,
                seats={labels[p]: c for p, c in enumerate(comp) if c},
            )
            for comp, w, count in zip(
                distribution.compositions, distribution.weights, rounded.counts, strict=True
            )
        ],
        profiles=dict(zip(labels, distribution.probabilities, strict=True)),
        unreachable=unreachable,
        seconds=time.perf_counter() - started,
        provenance=provenance(
            file,
            problem.pool,
            command=command,
            seed=problem.scenario.seed,
            workers=workers,
            candidates=rows,
            profiles=len(problem.profiles),
        ),
        commitment=commitment,
    )
    assert math.isclose(sum(person), problem.board_size, rel_tol=1e-6)
    return LotteryResult(problem, distribution, rounded, record, person.tolist())


def rule_violations(problem: BalanceProblem, members: list[str]) -> list[str]:
    """The rules a board of these ids breaks (an independent recount on the pool table)."""
    table = problem.pool.table
    chosen = table[problem.pool.id_column].isin(members).to_numpy()
    broken = []
    if int(chosen.sum()) != problem.board_size or len(set(members)) != len(members):
        broken.append("board size")
    for rule in problem.rules:
        counted = rows_matching(table, rule.where, problem.pool.id_column, problem.scenario.multi)
        count = int((counted & chosen).sum())
        if not rule.lo <= count <= rule.hi:
            broken.append(rule.description)
    return broken
