"""From a scenario and a pool to a solver-independent problem: profiles, rules and targets.

This is where every name in the scenario is checked against the pool, so that all mistakes
are reported at once and before any solving.

Profile aggregation: two candidates who agree on every column the model reads are
interchangeable for every rule and every gap, so the model only decides *how many* seats each
profile gets. Who fills them is then fixed by the tie-break: a profile that gets ``k`` seats
gives them to its ``k`` best members (highest score, then luckiest ticket). Because the
tie-break objective is a sum over members, taking the best ``k`` of a profile is always at
least as good as any other ``k`` of it, so the aggregated model has exactly the optimum of
the person-by-person model. Candidates named in ``include`` or ``exclude`` get a profile of
their own, which keeps those rules ordinary counting rules.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from balancer.io import normalise
from balancer.io.countries import CountryTable
from balancer.io.files import Pool
from balancer.spec import tickets as lottery
from balancer.spec.errors import InputError, Problem, did_you_mean, looks_like_typo
from balancer.spec.labels import Labels
from balancer.spec.rules import ID, Kind, Rule, make_rule
from balancer.spec.scenario import EqualTarget, Scenario, SeatBounds

_TRUE = {"yes", "y", "true", "t", "1", "on"}
_FALSE = {"no", "n", "false", "f", "0", "off"}


@dataclass
class Profile:
    """Candidates who look the same to the model, best first by the tie-break."""

    values: dict[str, str]
    members: np.ndarray  # row positions in the pool table, best first

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class TargetTerm:
    """One targeted value: the board should hold about ``seats`` members with it."""

    column: str
    value: str
    share: Fraction
    weight: Fraction
    seats: Fraction
    pool_count: int


@dataclass(frozen=True)
class ScaledTarget:
    """A target in the model's whole numbers: its gap is ``|coefficient * seats - offset|``,
    ``seats`` being the board's members among ``profiles`` (see :func:`gap_scale`)."""

    term: TargetTerm
    profiles: list[int]
    coefficient: int
    offset: int


@dataclass
class BalanceProblem:
    """Everything the model needs, in plain data."""

    scenario: Scenario
    pool: Pool
    board_size: int
    model_columns: list[str]
    profiles: list[Profile]
    rules: list[Rule]
    targets: list[TargetTerm]
    score_column: str | None
    digests: bytes  # SHA-256 of every candidate's lottery string, 32 bytes each
    scores: np.ndarray | None = None  # exact integer scores, or None for a lottery tie-break
    score_unit: int = 1
    warnings: list[str] = field(default_factory=list)
    _index: dict[str, dict[str, list[int]]] = field(default_factory=dict, repr=False)
    _pool_counts: dict[str, pd.Series] = field(
        default_factory=dict, repr=False, init=False, compare=False
    )

    @property
    def ids(self) -> pd.Series:
        return self.pool.table[self.pool.id_column]

    def pool_counts(self, column: str) -> pd.Series:
        """Candidates per value of ``column`` in the whole pool (:func:`value_counts`).

        Counted once per problem: the composition and the supply each ask for every criteria
        column, and each count is a pass over the pool (a million rows in some pools). The
        pool of a problem is never changed in place, so the count stays right.
        """
        if column not in self._pool_counts:
            self._pool_counts[column] = value_counts(self.pool.table, column, self.scenario.multi)
        return self._pool_counts[column]

    @functools.cached_property
    def scaled_targets(self) -> tuple[int, list[ScaledTarget]]:
        """The targets in whole numbers, with their scale (1 without targets): the model's gap
        rows, its bounds under a largest gap, and the explanation's estimates all read them.
        Worked out once: every model built and every hinted what-if reads them (168 times in
        the explanation of a 200-seat board, 0.5 ms each)."""
        if not self.targets:
            return 1, []
        scale = gap_scale(self.targets)
        return scale, [
            ScaledTarget(
                term,
                self.profiles_matching({term.column: frozenset([term.value])}),
                int(term.weight * scale),
                int(term.weight * term.seats * scale),
            )
            for term in self.targets
        ]

    def criteria_columns(self) -> list[str]:
        """Columns with quotas, groups or targets: the ones a composition table is about."""
        return self.scenario.criteria_columns(caps=False)

    def profiles_matching(self, where: Mapping[str, frozenset[str]]) -> list[int]:
        """Indices of the profiles whose members count towards a rule with this ``where``."""
        selected: set[int] | None = None
        for column, allowed in where.items():
            index = self._index.get(column, {})
            hits = {p for value in allowed for p in index.get(value, ())}
            selected = hits if selected is None else selected & hits
        if selected is None:
            return list(range(len(self.profiles)))
        return sorted(selected)

    def with_profiles(self, extra: Sequence[Profile]) -> BalanceProblem:
        """A copy with more profiles: hypothetical recruits, for balance-only questions."""
        profiles = [*self.profiles, *extra]
        copy = dataclasses.replace(self, profiles=profiles)
        copy._index = _inverted_index(profiles, self.model_columns, self.scenario.multi)
        return copy

    @functools.cached_property
    def excluded(self) -> frozenset[str]:
        """Ids the scenario excludes (worked out once, asked for every rule)."""
        return frozenset(
            next(iter(r.where[ID])) for r in self.rules if r.kind is Kind.EXCLUDE and r.hi == 0
        )

    def available(self, rule: Rule) -> int:
        """How many candidates could count towards the rule (excluded ones cannot)."""
        total = 0
        for p in self.profiles_matching(rule.where):
            profile = self.profiles[p]
            if profile.values.get(ID) in self.excluded:
                continue
            total += profile.size
        return total

    def ticket(self, row: int) -> int:
        return lottery.ticket_at(self.digests, row)

    def lottery_numbers(self, rows: np.ndarray, level: int) -> np.ndarray:
        """``lottery_number(ticket(row), level)`` for each of ``rows``, as one array.

        A tie-break objective has one number per pick (about 3,000 on a 200-seat board, for
        each named board of an explanation); slicing each ticket out as a Python integer was
        most of building it. The 31 bits are read from the eight bytes around them as one
        big-endian 64-bit word (zero-padded past the digest's end, where the last level ends).
        """
        first_bit = lottery.SLICE_BITS * level
        start = first_bit // 8
        digests = np.frombuffer(self.digests, np.uint8).reshape(-1, lottery.DIGEST_BYTES)
        window = np.zeros((len(rows), 8), np.uint8)
        taken = digests[np.asarray(rows, np.int64), start : start + 8]
        window[:, : taken.shape[1]] = taken
        words = window.view(">u8").reshape(-1)
        shift = np.uint64(64 - (first_bit - 8 * start) - lottery.SLICE_BITS)
        mask = np.uint64((1 << lottery.SLICE_BITS) - 1)
        return ((words >> shift) & mask).astype(np.int64)

    def score_units(self, row: int) -> int:
        """A member's score as an exact integer (scores scaled by ``score_unit``)."""
        assert self.scores is not None
        return int(self.scores[row])

    def score(self, row: int) -> Fraction:
        return Fraction(self.score_units(row), self.score_unit)


def build_problem(
    scenario: Scenario, pool: Pool, *, source: str = "scenario", aggregate: bool = True
) -> BalanceProblem:
    """Check the scenario against the pool and turn it into profiles, rules and targets.

    Every problem is collected before raising, the pool's own id problems included: an entry
    that names an unknown column is skipped, not the checks that follow it.
    """
    prepared = normalise.prepare_pool(scenario, pool, source)  # columns, aliases, derive, missing
    pool = prepared.pool
    checker = _Checker(scenario, pool, source)
    checker.country_columns = prepared.country_columns
    checker.problems.extend(pool.problems)
    checker.problems.extend(prepared.problems)
    checker.warnings.extend(prepared.warnings)
    twice, bad_keys = normalise.duplicate_nominations(scenario, pool, source)
    checker.warnings.extend(twice)
    checker.problems.extend(bad_keys)
    checker.check_columns()
    rules = checker.rules()
    targets = checker.targets()
    score_values = checker.scores()
    checker.check_missing()
    checker.check_ids()
    checker.check_relax_limits(rules)
    if scenario.board_size > len(pool.table):
        checker.add(
            "board_size",
            f"board of {scenario.board_size} is larger than the pool of {len(pool.table)}",
            "reduce board_size or add candidates",
        )
    checker.raise_if_any()

    table = pool.table
    ids = table[pool.id_column].tolist()
    digests = lottery.digests(scenario.seed, ids)
    model_columns = checker.model_columns()
    named = set(scenario.include) | set(scenario.exclude)
    profiles = _profiles(table, ids, model_columns, named, digests, score_values, aggregate)
    problem = BalanceProblem(
        scenario=scenario,
        pool=pool,
        board_size=scenario.board_size,
        model_columns=model_columns,
        profiles=profiles,
        rules=rules,
        targets=targets,
        score_column=None
        if scenario.objective.tie_break == "lottery"
        else scenario.objective.tie_break,
        digests=digests,
        scores=score_values,
        score_unit=checker.score_unit,
        warnings=checker.warnings,
    )
    problem._index = _inverted_index(profiles, model_columns, scenario.multi)
    return problem


def _profiles(
    table: pd.DataFrame,
    ids: list[str],
    columns: list[str],
    named: set[str],
    digests: bytes,
    scores: np.ndarray | None,
    aggregate: bool,
) -> list[Profile]:
    """Group interchangeable candidates; order each group best first by the tie-break."""
    rows = len(table)
    if aggregate and columns:
        group = table.groupby(columns, sort=True).ngroup().to_numpy(dtype=np.int64, copy=True)
    elif aggregate:
        group = np.zeros(rows, dtype=np.int64)
    else:
        group = np.arange(rows, dtype=np.int64)
    if named:
        named_rows = np.flatnonzero(pd.Series(ids).isin(sorted(named)).to_numpy())
        group[named_rows] = group.max() + 1 + np.arange(len(named_rows))
    # Lower ticket is luckier: the first 8 bytes (as a signed-safe 63-bit number) order members.
    blocks = np.frombuffer(digests, dtype=">u8").reshape(rows, lottery.DIGEST_BYTES // 8)
    prefix = blocks[:, 0] >> np.uint64(1)
    keys: list[np.ndarray] = [prefix.astype(np.int64)]
    if scores is not None:
        keys.append(-scores)
    keys.append(group)
    order = np.lexsort(keys)
    sorted_groups = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], rows]
    firsts = order[starts]
    value_columns = [table[c].take(firsts).tolist() for c in columns]  # one row per profile
    profiles = []
    for k, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        members = order[start:end]
        first = int(members[0])
        values = {c: str(col[k]) for c, col in zip(columns, value_columns, strict=True)}
        if ids[first] in named:
            values[ID] = ids[first]
        profiles.append(Profile(values=values, members=members))
    return profiles


def _inverted_index(
    profiles: list[Profile], columns: list[str], multi: Mapping[str, str]
) -> dict[str, dict[str, list[int]]]:
    """Value -> profiles holding it, per column; a multi-valued profile is listed per part.

    Every rule and gap finds its profiles here, so indexing parts is all the model needs to
    count one person towards each of their values.
    """
    index: dict[str, dict[str, list[int]]] = {c: {} for c in [*columns, ID]}
    for position, profile in enumerate(profiles):
        for column, value in profile.values.items():
            for part in sorted(normalise.cell_parts(value, multi.get(column)) or {value}):
                index[column].setdefault(part, []).append(position)
    return index


def gap_scale(targets: Sequence[TargetTerm]) -> int:
    """The least multiplier that makes every weight and weighted target seat count whole."""
    values = [t.weight for t in targets] + [t.weight * t.seats for t in targets]
    return math.lcm(1, *(Fraction(v).denominator for v in values))


def seats_from_bounds(bounds: SeatBounds, board_size: int) -> tuple[int, int]:
    """Seat bounds from counts or shares: a minimum share rounds up, a maximum share down."""
    lo = bounds.min if bounds.min is not None else 0
    if bounds.min_share is not None:
        lo = math.ceil(bounds.min_share * board_size)
    hi = bounds.max if bounds.max is not None else board_size
    if bounds.max_share is not None:
        hi = math.floor(bounds.max_share * board_size)
    return lo, hi


class _Checker:
    """Collects every problem in a scenario/pool pair while building rules and targets."""

    def __init__(self, scenario: Scenario, pool: Pool, source: str) -> None:
        self.scenario = scenario
        self.pool = pool
        self.source = source
        self.pool_name = str(pool.path) if pool.path else "<pool>"
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self._counts: dict[str, pd.Series] = {}
        self.score_unit = 1
        self.unknown: set[str] = set()  # columns not in the pool: their entries are skipped
        # Columns whose cells are countries' short names: a scenario value is a country too.
        self.country_columns: dict[str, CountryTable] = {}

    def add(self, where: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.source, where, message, fix))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)

    def referenced_columns(self) -> list[tuple[str, str]]:
        """(column, where in the scenario) for every column the scenario names."""
        s = self.scenario
        refs = [(c, f"quotas.{c}") for c in s.quotas]
        refs += [(c, f"groups[{i}].where.{c}") for i, g in enumerate(s.groups) for c in g.where]
        refs += [(c, f"caps.{c}") for c in s.caps]
        refs += [(c, f"targets.{c}") for c in s.targets]
        refs += [(c, f"objective.weights.{c}") for c in s.objective.weights]
        if s.objective.tie_break != "lottery":
            refs.append((s.objective.tie_break, "objective.tie_break"))
        return refs

    def model_columns(self) -> list[str]:
        return self.scenario.criteria_columns()

    def check_columns(self) -> None:
        columns = list(self.pool.table.columns)
        for column, where in self.referenced_columns():
            if column not in columns:
                self.unknown.add(column)
                self.add(
                    where,
                    f"column '{column}' is not in the pool {self.pool_name}",
                    did_you_mean(column, columns, what="columns are"),
                )
        for column in self.scenario.objective.weights:
            if column in columns and column not in self.scenario.targets:
                self.add(
                    f"objective.weights.{column}",
                    f"'{column}' has a weight but no target",
                    f"add targets.{column} or remove the weight",
                )
        # A sensitive column the pool lacks is almost always a typo ("disabilty"), and it would
        # leave the real column unprotected in every public file: refuse it. The default
        # (disability) may be absent; only a list the convener wrote is checked.
        if "sensitive" in self.scenario.model_fields_set:
            for position, column in enumerate(self.scenario.sensitive):
                if column not in columns:
                    self.add(
                        f"sensitive[{position}]",
                        f"column '{column}' is not in the pool {self.pool_name}, so it "
                        "protects nothing",
                        did_you_mean(column, columns, what="columns are"),
                    )
        # labels: and show: are presentation, but a column they name that the pool lacks is a
        # typo that would silently leave a raw name (or a missing column) on a public page.
        for column in self.scenario.labels:
            if column not in columns:
                self.add(
                    f"labels.{column}",
                    f"column '{column}' is not in the pool {self.pool_name}",
                    did_you_mean(column, columns, what="columns are"),
                )
        sensitive = set(self.scenario.sensitive)
        for position, column in enumerate(self.scenario.show or []):
            if column not in columns:
                self.add(
                    f"show[{position}]",
                    f"column '{column}' is not in the pool {self.pool_name}",
                    did_you_mean(column, columns, what="columns are"),
                )
            elif column in sensitive:
                self.add(
                    f"show[{position}]",
                    f"'{column}' is a sensitive column: reports never show it per member",
                    f"remove '{column}' from show (its totals are in the composition)",
                )
        if self.scenario.objective.tie_break == self.pool.id_column:
            self.add("objective.tie_break", "the id column cannot be a score", "use lottery")

    def counts(self, column: str) -> pd.Series:
        """Candidates per non-empty value; a multi-valued cell counts once for each part."""
        if column not in self._counts:
            separator = self.scenario.multi.get(column)
            self._counts[column] = normalise.part_counts(self.pool.table, column, separator)
        return self._counts[column]

    def resolve(self, column: str, raw: str, where: str) -> str:
        """The pool's spelling of a value named in the scenario."""
        value = str(raw).strip()
        table = self.country_columns.get(column)
        country = table.lookup(value) if table is not None else None
        if country is not None:
            value = country.name  # "UK" in a quota is the United Kingdom, as in the pool
        present = [str(v) for v in self.counts(column).index]
        if value in present:
            return value
        for words in (_TRUE, _FALSE):
            if value.lower() in words:
                same = [p for p in present if p.lower() in words]
                if len(same) == 1:
                    return same[0]
        typo = looks_like_typo(value, present)
        if typo is not None:
            self.add(
                where,
                f"value '{value}' of '{column}' is in no pool row",
                f"did you mean '{typo}'? values are: "
                + ", ".join(f"'{p}'" for p in sorted(present)[:12]),
            )
        else:
            self.warnings.append(f"{where}: no candidate in the pool has {column} = '{value}'")
        return value

    def rules(self) -> list[Rule]:
        s = self.scenario
        n = s.board_size
        everyone: dict[str, frozenset[str]] = {}
        said = Labels.of(s.labels)
        # A value label's key is a pool value: a typo of one is refused like any other named
        # value (it would leave the raw value on the page), an absent value is warned.
        columns = set(self.pool.table.columns)
        for column, entry in s.labels.items():
            if column in columns:
                for raw in entry.values:
                    self.resolve(column, raw, f"labels.{column}.values.{raw}")
        rules = [make_rule(Kind.BOARD_SIZE, where=everyone, lo=n, hi=n, labels=said)]
        for column, values in s.quotas.items():
            if column in self.unknown:
                continue
            for raw, bounds in values.items():
                where_text = f"quotas.{column}.{raw}"
                value = self.resolve(column, raw, where_text)
                lo, hi = self._seats(bounds, where_text)
                where = {column: frozenset([value])}
                if lo > 0:
                    rules.append(
                        make_rule(
                            Kind.QUOTA_MIN,
                            where=where,
                            lo=lo,
                            hi=n,
                            column=column,
                            value=value,
                            labels=said,
                        )
                    )
                if hi < n:
                    rules.append(
                        make_rule(
                            Kind.QUOTA_MAX,
                            where=where,
                            lo=0,
                            hi=hi,
                            column=column,
                            value=value,
                            labels=said,
                        )
                    )
        for i, group in enumerate(s.groups):
            where_text = f"groups[{i}]"
            where = {
                column: frozenset(
                    self.resolve(column, v, f"{where_text}.where.{column}")
                    for v in (wanted if isinstance(wanted, list) else [wanted])
                )
                for column, wanted in group.where.items()
                if column not in self.unknown
            }
            lo, hi = self._seats(group, where_text)
            if len(where) < len(group.where):
                continue  # its values and bounds are checked; the rule cannot be built
            if lo > 0:
                rules.append(
                    make_rule(
                        Kind.GROUP_MIN, where=where, lo=lo, hi=n, name=group.name, labels=said
                    )
                )
            if hi < n:
                rules.append(
                    make_rule(
                        Kind.GROUP_MAX, where=where, lo=0, hi=hi, name=group.name, labels=said
                    )
                )
        for column, cap in s.caps.items():
            if column in self.unknown:
                continue
            for cap_value, count in self.counts(column).items():
                if int(str(count)) > cap:
                    rules.append(
                        make_rule(
                            Kind.CAP,
                            where={column: frozenset([str(cap_value)])},
                            lo=0,
                            hi=cap,
                            column=column,
                            value=str(cap_value),
                            labels=said,
                        )
                    )
        rules += self._named(s.include, "include", Kind.INCLUDE, 1)
        rules += self._named(s.exclude, "exclude", Kind.EXCLUDE, 0)
        return rules

    def _named(self, ids: Iterable[str], key: str, kind: Kind, seats: int) -> list[Rule]:
        wanted = list(ids)
        pool_ids = self.pool.table[self.pool.id_column]
        known = set(pool_ids[pool_ids.isin(wanted)])
        rules = []
        for position, cid in enumerate(wanted):
            if cid not in known:
                hint = looks_like_typo(cid, pool_ids.tolist())
                self.add(
                    f"{key}[{position}]",
                    f"id '{cid}' is not in the pool",
                    f"did you mean '{hint}'?" if hint else "check the id column",
                )
                continue
            rules.append(
                make_rule(kind, where={ID: frozenset([cid])}, lo=seats, hi=seats, value=cid)
            )
        return rules

    def _seats(self, bounds: SeatBounds, where: str) -> tuple[int, int]:
        """Seats from the bounds, with the problems of the bounds the convener wrote.

        Without a written maximum, the maximum is the board; a minimum above it is one
        problem (too many seats), not also a clash with a maximum nobody wrote.
        """
        lo, hi = seats_from_bounds(bounds, self.scenario.board_size)
        wrote_max = bounds.max is not None or bounds.max_share is not None
        if lo > self.scenario.board_size:
            self.add(where, f"asks for {lo} seats on a board of {self.scenario.board_size}")
        if wrote_max and lo > hi:
            n = self.scenario.board_size
            said = []
            if bounds.min_share is not None:
                said.append(f"min_share {float(bounds.min_share):g} of {n} seats rounds up to {lo}")
            if bounds.max_share is not None:
                said.append(f"max_share {float(bounds.max_share):g} rounds down to {hi}")
            if said:
                self.add(
                    where,
                    " and ".join(said) + ": no number of seats meets both",
                    "widen the shares or write seats (min, max)",
                )
            else:
                self.add(
                    where,
                    f"the minimum ({lo} seats) is above the maximum ({hi} seats)",
                    "fix them",
                )
        return lo, min(hi, self.scenario.board_size)

    def targets(self) -> list[TargetTerm]:
        s = self.scenario
        n = s.board_size
        terms = []
        for column, rule in s.targets.items():
            if column in self.unknown:
                continue
            counts = self.counts(column)
            present = {str(v): int(c) for v, c in counts.items()}
            total = sum(present.values())
            weight = s.objective.weights.get(column, Fraction(1))
            shares: dict[str, Fraction]
            if rule == "equal":
                shares = {v: Fraction(1, len(present)) for v in present}
            elif rule == "pool":
                shares = {v: Fraction(c, total) for v, c in present.items()}
            elif isinstance(rule, EqualTarget):
                listed = [
                    self.resolve(column, raw, f"targets.{column}.equal[{i}]")
                    for i, raw in enumerate(rule.equal)
                ]
                shares = {v: Fraction(1, len(listed)) for v in listed}
                self._unlisted(column, present, shares)
            else:
                shares = {
                    self.resolve(column, raw, f"targets.{column}.{raw}"): share
                    for raw, share in rule.items()
                }
                self._unlisted(column, present, shares)
            for value in sorted(shares):
                terms.append(
                    TargetTerm(
                        column=column,
                        value=value,
                        share=shares[value],
                        weight=weight,
                        seats=shares[value] * n,
                        pool_count=present.get(value, 0),
                    )
                )
        if terms:
            largest = gap_scale(terms) * max(t.weight for t in terms) * s.board_size
            if largest * len(terms) >= 2**60:
                self.add(
                    "targets",
                    "the target shares and weights have more digits than can be added exactly",
                    'write shares with fewer decimals, or as fractions such as "1/3"',
                )
        return terms

    def _unlisted(self, column: str, present: dict[str, int], shares: dict[str, Fraction]) -> None:
        """Say what a listed target does to the pool's other values, and to share-0 ones.

        A value the target does not list carries no gap term: its candidates are neither
        sought nor avoided (an inclusion exercise must not drop everyone whose gender is
        non-binary or unknown because the target names two values). A value listed with share
        0 is avoided on purpose, which deserves a warning with the number of people it affects.
        """
        unlisted = {v: c for v, c in sorted(present.items()) if v not in shares}
        if unlisted:
            people = ", ".join(f"'{v}' x{c}" for v, c in list(unlisted.items())[:12])
            more = f" and {len(unlisted) - 12} more" if len(unlisted) > 12 else ""
            self.warnings.append(
                f"targets.{column}: values not listed in the target carry no target and no gap "
                f"(their candidates are neither sought nor avoided): {people}{more}; list a "
                "value with a share to target it"
            )
        for value, share in sorted(shares.items()):
            if share == 0 and present.get(value, 0) > 0:
                self.warnings.append(
                    f"targets.{column}.{value}: share 0 for a value {present[value]} "
                    "candidate(s) have: each one on the board adds a gap of 1 seat, so they "
                    "are avoided; remove the value from the target to make it neutral"
                )

    def scores(self) -> np.ndarray | None:
        column = self.scenario.objective.tie_break
        if column in {"lottery", self.pool.id_column} or column not in self.pool.table.columns:
            return None  # the lottery, or a tie-break check_columns has already refused
        exact: list[Fraction] = []
        bad: list[int] = []
        for row, cell in enumerate(self.pool.table[column].tolist()):
            try:
                exact.append(Fraction(cell))
            except (ValueError, ZeroDivisionError):
                bad.append(row)
        if bad:
            rows = ", ".join(self.pool.row_label(i) for i in bad[:5])
            self.add(
                "objective.tie_break",
                f"score column '{column}' has non-numbers in {len(bad)} row(s) ({rows})",
                f"write a finite number in every cell of '{column}'",
            )
            return None
        unit = math.lcm(1, *{f.denominator for f in exact})
        units = [int(f * unit) for f in exact]
        largest = max(abs(u) for u in units) * self.scenario.board_size
        if largest >= 2**62:
            self.add(
                "objective.tie_break",
                f"score column '{column}' has more digits than can be added exactly",
                "round the scores to fewer decimals (say, 6) or smaller numbers",
            )
            return None
        self.score_unit = unit
        return np.array(units, dtype=np.int64)

    def check_missing(self) -> None:
        """Cells the model reads must not be empty (caps excepted: empty means 'none')."""
        table = self.pool.table
        for column in self.scenario.criteria_columns(caps=False):
            if column not in table.columns:
                continue
            empty = table.index[table[column] == ""]
            if len(empty):
                rows = ", ".join(self.pool.row_label(int(i)) for i in empty[:5])
                more = ", ..." if len(empty) > 5 else ""
                self.problems.append(
                    Problem(
                        self.pool_name,
                        f"column '{column}'",
                        f"empty in {len(empty)} row(s) ({rows}{more})",
                        f"fill in '{column}' for every candidate (e.g. 'unknown')",
                    )
                )

    def check_relax_limits(self, rules: Sequence[Rule]) -> None:
        """Every relax_limits key must name a rule (an id or a pattern such as 'include:*').

        A key that matches nothing would silently limit nothing: usually a mistyped id.
        """
        ids = [r.id for r in rules]
        for key in self.scenario.relax_limits:
            if not any(fnmatch.fnmatchcase(rule_id, key) for rule_id in ids):
                hint = looks_like_typo(key, ids)
                self.add(
                    f"relax_limits.{key}",
                    "matches no rule of this scenario",
                    f"did you mean '{hint}'?"
                    if hint
                    else "write a rule id (as in report.json) or a pattern such as 'quota:*'",
                )

    def check_ids(self) -> None:
        for key in ("include", "exclude"):
            ids: list[str] = getattr(self.scenario, key)
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                self.add(key, f"lists {', '.join(repeated)} more than once", "list each id once")


def rows_matching(
    table: pd.DataFrame,
    where: Mapping[str, Iterable[str]],
    id_column: str,
    multi: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Boolean mask of pool rows counted by a rule (used to check boards independently).

    Splits multi-valued cells itself rather than asking the profile index, so that a mistake
    in the index shows up as a disagreement with this recount.
    """
    multi = multi or {}
    mask = np.ones(len(table), dtype=bool)
    for column, allowed in where.items():
        if column == ID:
            mask &= table[id_column].isin(list(allowed)).to_numpy()
        else:
            mask &= normalise.has_any(table, column, allowed, multi.get(column))
    return mask


def value_counts(table: pd.DataFrame, column: str, multi: Mapping[str, str]) -> pd.Series:
    """Rows per non-empty value of ``column``; a multi-valued row counts for each of its parts."""
    return normalise.part_counts(table, column, multi.get(column))


def column_parts(table: pd.DataFrame, column: str, multi: Mapping[str, str]) -> pd.Series:
    """Each row's set of values in ``column`` (one value, or the parts of a multi cell)."""
    return normalise.column_parts(table, column, multi.get(column))
