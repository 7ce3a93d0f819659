"""The constraint registry: every rule the model can impose, with a stable id and plain words.

Every rule is of one shape, "the number of selected members in this set lies between lo and
hi", so the model, the explanation and the report treat all of them alike. The set is named by
``where`` (a member matches when, for every column, its value is one of the listed values).
Ids are stable across runs and versions; reports and diffs between scenarios key on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from balancer.spec.labels import NONE, Labels

ID = "__id__"
"""Pseudo-column for rules about one named candidate (include and exclude)."""


class Kind(StrEnum):
    """The kinds of rule, each with its id pattern and sentence (see :data:`REGISTRY`)."""

    BOARD_SIZE = "board-size"
    QUOTA_MIN = "quota-min"
    QUOTA_MAX = "quota-max"
    GROUP_MIN = "group-min"
    GROUP_MAX = "group-max"
    CAP = "cap"
    INCLUDE = "include"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class KindInfo:
    """How a kind of rule is named and said."""

    id_pattern: str
    sentence: str
    side: str  # which bound the rule exists for: "min", "max" or "exact"


REGISTRY: Mapping[Kind, KindInfo] = {
    Kind.BOARD_SIZE: KindInfo("board-size", "The board has exactly {lo} members.", "exact"),
    Kind.QUOTA_MIN: KindInfo(
        "quota:{column}={value}:min",
        "At least {lo} seat{s_lo} for candidates whose {column} is {value}.",
        "min",
    ),
    Kind.QUOTA_MAX: KindInfo(
        "quota:{column}={value}:max",
        "At most {hi} seat{s_hi} for candidates whose {column} is {value}.",
        "max",
    ),
    Kind.GROUP_MIN: KindInfo(
        "group:{name}:min",
        "At least {lo} seat{s_lo} for {name} ({condition}).",
        "min",
    ),
    Kind.GROUP_MAX: KindInfo(
        "group:{name}:max",
        "At most {hi} seat{s_hi} for {name} ({condition}).",
        "max",
    ),
    Kind.CAP: KindInfo(
        "cap:{column}={value}",
        "At most {hi} member{s_hi} may share the {column} {value}.",
        "max",
    ),
    Kind.INCLUDE: KindInfo("include:{value}", "Candidate {value} must be on the board.", "exact"),
    Kind.EXCLUDE: KindInfo(
        "exclude:{value}", "Candidate {value} may not be on the board.", "exact"
    ),
}


@dataclass(frozen=True)
class Rule:
    """One constraint of the model: ``lo <= selected members matching where <= hi``."""

    id: str
    kind: Kind
    description: str
    where: Mapping[str, frozenset[str]]
    lo: int
    hi: int
    column: str | None = None
    value: str | None = None
    group: str | None = None

    def slack(self, achieved: int) -> int:
        """Room left on the side the rule exists for (a cap has no lower side worth naming)."""
        side = REGISTRY[self.kind].side
        if side == "min":
            return achieved - self.lo
        if side == "max":
            return self.hi - achieved
        return min(achieved - self.lo, self.hi - achieved)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def make_rule(
    kind: Kind,
    *,
    where: Mapping[str, frozenset[str]],
    lo: int,
    hi: int,
    column: str | None = None,
    value: str | None = None,
    name: str | None = None,
    labels: Labels = NONE,
) -> Rule:
    """Build a rule with its registered id and sentence; the only way rules are made.

    The id keeps the pool's column and value names (reports and diffs key on it); the sentence
    says them with ``labels`` (the scenario's ``labels:``), as a reader should meet them.
    """
    info = REGISTRY[kind]
    condition = " and ".join(
        f"{labels.column(col)} is {' or '.join(sorted(labels.value(col, v) for v in vals))}"
        for col, vals in where.items()
        if col != ID
    )
    fields = {
        "column": column or "",
        "value": value or "",
        "name": name or "",
        "condition": condition,
        "lo": lo,
        "hi": hi,
        "s_lo": _plural(lo),
        "s_hi": _plural(hi),
    }
    said = dict(fields)
    if column:
        said["column"] = labels.column(column)
        if value:
            said["value"] = labels.value(column, value)
    return Rule(
        id=info.id_pattern.format(**fields),
        kind=kind,
        description=info.sentence.format(**said),
        where=dict(where),
        lo=lo,
        hi=hi,
        column=column,
        value=value,
        group=name,
    )
