"""The scenario schema: what a convener writes in YAML, validated before anything is solved.

Shares and weights are kept as exact fractions (``0.4`` means 2/5, ``"1/3"`` means one third)
so that the model can scale them to integers without any float rounding.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError


def _to_fraction(value: Any) -> Fraction:
    """Read a share or weight exactly: decimals by their digits, ``"a/b"`` as a fraction."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not a yes/no value")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int | float | str):
        try:
            return Fraction(str(value).strip())
        except (ValueError, ZeroDivisionError):
            pass
    raise ValueError(f"expected a number such as 0.4 or 1/3, got {value!r}")


Exact = Annotated[
    Fraction,
    BeforeValidator(_to_fraction),
    PlainSerializer(lambda f: str(f), return_type=str),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\d+/\d+$"}]}),
]
"""A non-negative exact number: a decimal (``0.4``) or a fraction written as ``"1/3"``."""


def _share(value: Fraction) -> Fraction:
    if not 0 <= value <= 1:
        raise ValueError(f"a share must be between 0 and 1, got {value}")
    return value


Share = Annotated[Exact, Field(), BeforeValidator(lambda v: _share(_to_fraction(v)))]

_STRICT = ConfigDict(extra="forbid", coerce_numbers_to_str=True, arbitrary_types_allowed=True)


class SeatBounds(BaseModel):
    """Bounds on a number of seats, as counts or as shares of the board.

    Shares turn into seats with the rounding documented in the README: a minimum share rounds
    up (at least that share), a maximum share rounds down (at most that share).
    """

    model_config = _STRICT

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    min_share: Share | None = None
    max_share: Share | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SeatBounds:
        if self.min is not None and self.min_share is not None:
            raise ValueError("give either min or min_share, not both")
        if self.max is not None and self.max_share is not None:
            raise ValueError("give either max or max_share, not both")
        if all(v is None for v in (self.min, self.max, self.min_share, self.max_share)):
            raise ValueError("give at least one of min, max, min_share, max_share")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max}); swap or fix them")
        if (
            self.min_share is not None
            and self.max_share is not None
            and self.min_share > self.max_share
        ):
            raise ValueError(
                f"min_share ({self.min_share}) is larger than max_share ({self.max_share})"
            )
        return self


def _where_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "value"


WhereValues = Annotated[
    Annotated[str, Tag("value")] | Annotated[list[str], Tag("list")],
    Discriminator(_where_kind),
]
"""One value or a list of values; tagged so that a bad entry is reported once, not per branch."""


class Group(SeatBounds):
    """An intersectional group: candidates meeting every condition in ``where``."""

    name: str = Field(min_length=1)
    where: dict[str, WhereValues] = Field(min_length=1)


class PoolRef(BaseModel):
    """Where the candidate pool is: a CSV or XLSX file, relative to the scenario file."""

    model_config = _STRICT

    path: str = Field(min_length=1)
    id_column: str | None = None
    sheet: str | None = None
    header_row: int = Field(
        default=1,
        ge=1,
        description="Row of the column names (2 when a title row is above them)",
    )


def _positive(value: Fraction) -> Fraction:
    if value <= 0:
        raise ValueError(f"a weight must be positive, got {value}")
    return value


Weight = Annotated[Exact, AfterValidator(_positive)]


class Objective(BaseModel):
    """How gaps are weighed and how equally balanced boards are told apart."""

    model_config = _STRICT

    weights: dict[str, Weight] = Field(default_factory=dict)
    tie_break: str = "lottery"


def _non_negative_cap(value: int) -> int:
    if value < 0:
        raise ValueError(f"a cap must be 0 or more, got {value}")
    return value


Cap = Annotated[int, AfterValidator(_non_negative_cap)]


class EqualTarget(BaseModel):
    """``equal: [A, B, C]``: an equal share for each listed value, present in the pool or not.

    ``equal`` alone shares the board among the values the pool happens to have, so a group
    with no nominee is invisible; naming the list makes its absence a gap.
    """

    model_config = _STRICT

    equal: list[str] = Field(min_length=1)

    @field_validator("equal")
    @classmethod
    def _once(cls, values: list[str]) -> list[str]:
        seen = [v.strip() for v in values]
        repeated = sorted({v for v in seen if seen.count(v) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once; list each value once")
        return values


def _target_kind(value: Any) -> str:
    if isinstance(value, EqualTarget) or (
        isinstance(value, dict) and isinstance(value.get("equal"), list)
    ):
        return "list"
    return "shares" if isinstance(value, dict) else "rule"


def _target_word(value: Any) -> Any:
    """Replaces pydantic's literal error, which names neither the mapping form nor the column."""
    if value in ("equal", "pool"):
        return value
    raise ValueError(
        f"{value!r} is not a target: write 'equal', 'pool', a list such as "
        "{equal: [woman, man]} or shares such as {woman: 0.5, man: 0.5}"
    )


TargetRule = Annotated[
    Annotated[Literal["equal", "pool"], BeforeValidator(_target_word), Tag("rule")]
    | Annotated[dict[str, Share], Tag("shares")]
    | Annotated[EqualTarget, Tag("list")],
    Discriminator(_target_kind),
]
"""A word or a mapping of shares; tagged so that only the form the convener wrote is checked."""


def _label_form(value: Any) -> Any:
    """``column: "Stakeholder group"`` is short for ``column: {label: "Stakeholder group"}``."""
    return {"label": value} if isinstance(value, str) else value


class ColumnLabel(BaseModel):
    """How a column and its values are said to a reader (sentences, tables, charts).

    Presentation only: ids, JSON and CSV keep the pool's own names.
    """

    model_config = _STRICT

    label: str | None = Field(default=None, min_length=1, description="The column's name")
    values: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, description="Pool value -> the words a reader sees"
    )


LabelEntry = Annotated[ColumnLabel, BeforeValidator(_label_form)]


def _pool_kind(value: Any) -> str:
    return "mapping" if isinstance(value, dict | PoolRef) else "path"


def _located(title: str, errors: list[tuple[tuple[str | int, ...], str]]) -> ValidationError:
    """Errors placed below the field being validated.

    pydantic keeps the locations of a ValidationError raised inside a field validator, which
    lets a check on the whole field (shares of one column, names across groups) point at the
    entry that is wrong, instead of at the field or the top level.
    """
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("scenario", "{message}", {"message": message}),
                loc=loc,
                input=None,
            )
            for loc, message in errors
        ],
    )


class Scenario(BaseModel):
    """One selection scenario: board size, pool, and every criterion the board must meet."""

    model_config = _STRICT

    name: str = "Unnamed scenario"
    about: str | None = Field(
        default=None,
        description="A text shown at the top of every page: the mandate, how members were sought",
    )
    board_size: int = Field(ge=1)
    pool: Annotated[
        Annotated[str, Tag("path")] | Annotated[PoolRef, Tag("mapping")],
        Discriminator(_pool_kind),
    ]
    id_column: str = "id"
    quotas: dict[str, dict[str, SeatBounds]] = Field(default_factory=dict)
    groups: list[Group] = Field(default_factory=list)
    caps: dict[str, Cap] = Field(default_factory=dict)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    targets: dict[str, TargetRule] = Field(default_factory=dict)
    objective: Objective = Field(default_factory=Objective)
    seed: int = 0
    seed_source: str | None = Field(
        default=None,
        description="The public text, announced in advance, whose SHA-256 will fix the seed "
        "(select/lottery --seed-text), e.g. 'the EuroMillions numbers of 5 December 2026'",
    )
    sensitive: list[str] = Field(default_factory=lambda: ["disability"])
    labels: dict[str, LabelEntry] = Field(
        default_factory=dict,
        description="Per pool column: the words a reader sees, 'Stakeholder group' or "
        "{label: 'Stakeholder group', values: {CSO: 'Civil society'}}",
    )
    show: list[str] | None = Field(
        default=None,
        description="The member columns reports show per member, in order (the id always "
        "first; default: name and the criteria columns); sensitive columns are refused",
    )
    relax_limits: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Most seats a rule may move in the smallest fix; keys are rule ids or "
        "patterns such as 'include:*' (0 keeps a rule fixed)",
    )
    # Real-world inputs (balancer/normalise.py, balancer/countries.py): applied to the pool
    # before any check, so the columns they make are ordinary pool columns.
    columns: dict[str, str] = Field(
        default_factory=dict, description="Pool header -> column name used in this scenario"
    )
    encoding: str | None = Field(
        default=None, description="Text encoding of a CSV pool (default: detected)"
    )
    aliases: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per column: raw cell value -> value (case-folded)"
    )
    missing: dict[str, Literal["unknown", "exclude", "error"]] = Field(
        default_factory=dict, description="Per column: what an empty cell means (default error)"
    )
    derive: dict[str, str] = Field(
        default_factory=dict,
        description="Derived column (un_region, sids, ldc, lldc, global_south, iso3, iso2, "
        "name) -> the pool column naming the country",
    )
    countries: str | None = Field(
        default=None, description="A country mapping CSV laid over the shipped table"
    )
    strict: bool = Field(
        default=False, description="Contradictions and unused values are errors, not warnings"
    )
    excel: bool = Field(default=False, description="Write CSV outputs as UTF-8 with a BOM")
    multi: dict[str, str] = Field(
        default_factory=dict,
        description="Multi-valued column -> the separator between its values (e.g. ';')",
    )
    duplicates: list[list[str]] | None = Field(
        default=None,
        description="Column sets that identify one person (e.g. [[email], [name, "
        "organisation]]); rows agreeing on one are warned as possibly nominated twice. "
        "Default: an e-mail column, and name with organisation, when the pool has them; "
        "[] turns the check off",
    )

    # Checks across entries are field validators rather than one model validator: a model
    # validator only runs when every field is valid, so its problems would be reported one
    # run later than the others, and only at "(top level)".

    @field_validator("groups")
    @classmethod
    def _unique_group_names(cls, groups: list[Group]) -> list[Group]:
        first: dict[str, int] = {}
        errors: list[tuple[tuple[str | int, ...], str]] = []
        for position, group in enumerate(groups):
            if group.name in first:
                errors.append(
                    (
                        (position, "name"),
                        f"'{group.name}' is also the name of groups[{first[group.name]}]; "
                        "give every group its own name",
                    )
                )
            first.setdefault(group.name, position)
        if errors:
            raise _located("groups", errors)
        return groups

    @field_validator("show")
    @classmethod
    def _shown_once(cls, show: list[str] | None) -> list[str] | None:
        if show is not None:
            repeated = sorted({c for c in show if show.count(c) > 1})
            if repeated:
                raise ValueError(f"lists {', '.join(repeated)} more than once; list each once")
        return show

    @field_validator("multi")
    @classmethod
    def _separators(cls, multi: dict[str, str]) -> dict[str, str]:
        # An empty separator cannot split a cell; checked here so the column is named.
        errors: list[tuple[tuple[str | int, ...], str]] = [
            ((column,), f"the separator of '{column}' is empty; write one such as ';'")
            for column, separator in multi.items()
            if separator == ""
        ]
        if errors:
            raise _located("multi", errors)
        return multi

    @field_validator("exclude")
    @classmethod
    def _not_included(cls, exclude: list[str], info: ValidationInfo) -> list[str]:
        both = sorted(set(info.data.get("include", [])) & set(exclude))
        if both:
            raise ValueError(
                f"ids both included and excluded: {', '.join(both)}; remove them from one list"
            )
        return exclude

    @field_validator("targets")
    @classmethod
    def _shares_sum_to_one(cls, targets: dict[str, Any]) -> dict[str, Any]:
        errors: list[tuple[tuple[str | int, ...], str]] = []
        for column, rule in targets.items():
            if isinstance(rule, dict):
                total = sum(rule.values(), Fraction(0))
                if total != 1:
                    errors.append(
                        (
                            (column,),
                            f"target shares of '{column}' sum to {float(total):g}, not 1; "
                            'adjust them (write thirds as "1/3")',
                        )
                    )
        if errors:
            raise _located("targets", errors)
        return targets

    @property
    def pool_ref(self) -> PoolRef:
        """The pool reference in its long form, with the effective id column filled in."""
        if isinstance(self.pool, str):
            return PoolRef(path=self.pool, id_column=self.id_column)
        return PoolRef(
            path=self.pool.path,
            id_column=self.pool.id_column or self.id_column,
            sheet=self.pool.sheet,
            header_row=self.pool.header_row,
        )

    def criteria_columns(self, *, caps: bool = True) -> list[str]:
        """The columns the criteria read (quotas, targets, groups' ``where`` and caps), sorted.

        ``caps=False`` leaves caps out where they do not belong: a composition table is about
        the balanced columns, and an empty cap cell means "no such value", not a missing one.
        """
        used = set(self.quotas) | set(self.targets) | {c for g in self.groups for c in g.where}
        return sorted(used | set(self.caps) if caps else used)
