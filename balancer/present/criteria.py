"""The criteria page: every rule of a scenario in plain words, published before the call closes.

Built from the scenario alone (no pool is needed: the page is meant to be posted before any
nominee is known), so targets written as ``equal`` or ``pool`` are said as the rule they are,
not as the shares a pool will give them. Named candidates (``include``/``exclude``) are
counted, never named. The page ends with the commitment (:mod:`balancer.spec.criteria`) and how
anyone can check a board against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from balancer.present.render import render, render_markdown_file
from balancer.spec.criteria import CANONICAL_RULE, SEED_RULE, Commitment
from balancer.spec.labels import Labels
from balancer.spec.scenario import EqualTarget, Scenario, SeatBounds


@dataclass(frozen=True)
class Section:
    """A heading and its sentences."""

    title: str
    lines: list[str]


@dataclass(frozen=True)
class CriteriaPage:
    """What the criteria page says, section by section."""

    name: str
    about: str | None
    board_size: int
    sections: list[Section]
    commitment: Commitment
    sensitive: list[str] = field(default_factory=list)
    public: bool = True


def _percent(share: Fraction) -> str:
    value = float(share * 100)
    return f"{value:.4g}%"


def _seats(n: int) -> str:
    return f"{n} seat{'s' * (n != 1)}"


def _bounds(bounds: SeatBounds, board_size: int) -> str:
    """ "at least 2 seats", "at most 45% of the seats (4 of 9)", "between 1 and 3 seats"."""
    low = high = None
    low_words = high_words = ""
    if bounds.min is not None:
        low, low_words = bounds.min, _seats(bounds.min)
    elif bounds.min_share is not None:
        low = math.ceil(bounds.min_share * board_size)
        low_words = f"{_percent(bounds.min_share)} of the seats ({low} of {board_size})"
    if bounds.max is not None:
        high, high_words = bounds.max, _seats(bounds.max)
    elif bounds.max_share is not None:
        high = math.floor(bounds.max_share * board_size)
        high_words = f"{_percent(bounds.max_share)} of the seats ({high} of {board_size})"
    if low is not None and high is not None:
        return f"at least {low_words} and at most {high_words}"
    return f"at least {low_words}" if low is not None else f"at most {high_words}"


def _condition(where: dict[str, str | list[str]], labels: Labels) -> str:
    parts = []
    for column, values in where.items():
        listed = [
            labels.value(column, v) for v in (values if isinstance(values, list) else [values])
        ]
        parts.append(f"{labels.column(column)} is {' or '.join(listed)}")
    return " and ".join(parts)


def criteria_page(scenario: Scenario, commitment: Commitment) -> CriteriaPage:
    """The sentences of the page, from the scenario alone."""
    n = scenario.board_size
    labels = Labels.of(scenario.labels)  # the page says columns and values as a reader should
    sections: list[Section] = []
    rules = [f"The board has exactly {n} members."]
    for column, values in scenario.quotas.items():
        for value, bounds in values.items():
            rules.append(
                f"{_bounds(bounds, n).capitalize()} for members whose "
                f"{labels.column(column)} is {labels.value(column, str(value))}."
            )
    for group in scenario.groups:
        rules.append(
            f"{_bounds(group, n).capitalize()} for {group.name} "
            f"(members whose {_condition(group.where, labels)})."
        )
    for column, cap in scenario.caps.items():
        rules.append(
            f"At most {cap} member{'s' * (cap != 1)} may share one {labels.column(column)} "
            "(an empty cell shares nothing)."
        )
    if scenario.include:
        k = len(scenario.include)
        rules.append(f"{k} candidate{'s' * (k != 1)} named by the convener must be on the board.")
    if scenario.exclude:
        k = len(scenario.exclude)
        rules.append(f"{k} candidate{'s' * (k != 1)} named by the convener may not be on it.")
    sections.append(Section("Rules every board must meet", rules))

    targets = []
    for column, rule in scenario.targets.items():
        weight = scenario.objective.weights.get(column, Fraction(1))
        weighed = "" if weight == 1 else f" (its gaps count {weight} times)"
        if rule == "equal":
            said = "an equal share of the seats for each value present in the pool"
        elif rule == "pool":
            said = "each value's share of the pool (proportional to the nominees)"
        elif isinstance(rule, EqualTarget):
            said = (
                "an equal share of the seats for each of "
                f"{', '.join(labels.value(column, v) for v in rule.equal)} "
                "(whether the pool has them or not: a listed value with nobody on the board is "
                "a gap); other values carry no target (neither sought nor avoided)"
            )
        else:
            said = ", ".join(
                f"{labels.value(column, value)} {_percent(share)}" for value, share in rule.items()
            )
            said += "; other values carry no target (neither sought nor avoided)"
        targets.append(f"{labels.column(column)}: {said}{weighed}.")
    if targets:
        sections.append(Section("The composition the board should be close to", targets))

    order = [
        "Among all boards that meet every rule, the one chosen has first the smallest largest "
        "gap between its seats and the target seats (a value's share times the board size) "
        "over every targeted value, then the smallest total gap."
    ]
    tie_break = scenario.objective.tie_break
    if tie_break != "lottery":
        order.append(f"Among equally balanced boards, the highest total {tie_break} wins.")
    order.append(
        "Any remaining tie is broken by a public lottery: a candidate's number is the first 31 "
        'bits of SHA-256 of "seed:id", and the board whose numbers add up lowest wins (the next '
        "31 bits decide a tie). The solver proves the board chosen is the only one left."
    )
    if scenario.seed_source:
        order.append(
            f"The seed will be fixed by a public text not known to anyone today: "
            f"{scenario.seed_source}. The seed is that text's SHA-256 read as a number "
            f"({SEED_RULE})."
        )
    else:
        order.append(
            f"The seed is {scenario.seed}, fixed in these criteria. (A seed fixed by a public "
            "text announced in advance is stronger: write seed_source in the scenario and run "
            "select --seed-text.)"
        )
    sections.append(Section("How the board is chosen", order))

    if scenario.sensitive:
        sections.append(
            Section(
                "Confidential columns",
                [
                    ", ".join(labels.column(c) for c in scenario.sensitive)
                    + ": personal data. Published reports show "
                    "them only as totals, never per person."
                ],
            )
        )
    return CriteriaPage(
        name=scenario.name,
        about=scenario.about,
        board_size=n,
        sections=sections,
        commitment=commitment,
        sensitive=list(scenario.sensitive),
    )


def verify_steps(page: CriteriaPage) -> list[str]:
    """How anyone checks a published board against this page."""
    c = page.commitment
    steps = [
        f"The criteria: {CANONICAL_RULE}. `sha256sum criteria.json` must print "
        f"{c.criteria_sha256}; `balancer criteria SCENARIO.yaml` prints it for a scenario file.",
    ]
    if c.pool_sha256:
        steps.append(f"The pool, as the call closed: its file's SHA-256 is {c.pool_sha256}.")
    else:
        steps.append(
            "The pool's SHA-256 will be published when the call closes "
            "(`balancer criteria SCENARIO.yaml --pool`)."
        )
    steps.append(
        "Once the seed text is known: `balancer verify-board PUBLISHED_REPORT_FOLDER "
        "--scenario SCENARIO.yaml --seed-text TEXT --commitment commitment.json` selects the "
        "board again and checks it is member for member the published one (exit 3 when the "
        "criteria, the pool or the seed text differ)."
    )
    return steps


def render_criteria(page: CriteriaPage) -> dict[str, str]:
    """``criteria.html`` and ``criteria.md`` for a page."""
    steps = verify_steps(page)
    return {
        "criteria.html": render("criteria.html.j2", page=page, steps=steps),
        "criteria.md": render_markdown_file("criteria.md.j2", page=page, steps=steps),
    }
