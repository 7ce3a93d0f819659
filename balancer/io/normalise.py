"""Turning a real-world pool into the columns a scenario counts, before any check.

Real exports spell one value many ways ("F", "female", "Woman "), name columns in their own
words ("UN region"), leave cells empty, and name countries rather than the regional groups a
quota is about; some cells hold several values ("Civil Society; Academia"). The scenario says
how to read them (``columns``, ``multi``, ``aliases``, ``missing``, ``derive``, ``countries``,
``strict``); this module applies that to the pool table once, so everything after it (checks,
profiles, model, reports) sees ordinary text columns, and says in warnings what it did to every
distinct raw value, so a convener can check it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from balancer.io import countries
from balancer.io.files import Pool, trimmed
from balancer.spec.errors import InputError, Problem, did_you_mean
from balancer.spec.normalisation import NormalisedValue, Step
from balancer.spec.scenario import Scenario

COUNTRY_FIELDS = {
    **{f: f for f in countries.FIELDS},
    "iso3": "iso3",
    "iso2": "iso2",
    "name": "name",
    "country_iso3": "iso3",
    "country_iso2": "iso2",
    "country_name": "name",
}
"""What ``derive`` can make from a country column: derived column -> field of the table.

``country_name`` (and the ``country_`` codes) exist so that a pool whose ``name`` column holds
people's names can still derive the country's name without a clash.
"""
DERIVABLE = tuple(COUNTRY_FIELDS)

_TRUE = {"yes", "y", "true", "t", "1", "on"}
_FALSE = {"no", "n", "false", "f", "0", "off"}
_MOST_ROWS = 5
_MOST_VALUES = 30


def cell_parts(cell: str, separator: str | None) -> frozenset[str]:
    """The values one cell stands for: its trimmed, non-empty parts (a plain cell is one part).

    Every reader of a multi-valued column goes through here (or :func:`column_parts`), so the
    checks, the model's index and the independent recount all split cells the same way.
    """
    if separator is None:
        return frozenset([cell]) if cell != "" else frozenset()
    return frozenset(part.strip() for part in cell.split(separator) if part.strip())


def canonical(cell: str, separator: str) -> str:
    """One spelling per set of parts (sorted, joined), so equal sets share one profile."""
    return separator.join(sorted(cell_parts(cell, separator)))


def column_parts(table: pd.DataFrame, column: str, separator: str | None) -> pd.Series:
    """Each row's set of values in ``column`` (frozensets; an empty cell is the empty set)."""
    return table[column].map(lambda cell: cell_parts(str(cell), separator))


def part_counts(table: pd.DataFrame, column: str, separator: str | None) -> pd.Series:
    """Candidates per value (non-empty values only): a multi-valued row counts for each part."""
    if separator is None:
        cells = table[column]
        return cells[cells != ""].value_counts()
    exploded = column_parts(table, column, separator).map(sorted).explode().dropna()
    return exploded.astype(str).value_counts()


def has_any(
    table: pd.DataFrame, column: str, allowed: Iterable[str], separator: str | None
) -> np.ndarray:
    """Boolean mask of rows holding at least one of the ``allowed`` values in ``column``."""
    wanted = list(allowed)
    if separator is None:
        return table[column].isin(wanted).to_numpy()
    chosen = set(wanted)
    return (
        column_parts(table, column, separator)
        .map(lambda ps: bool(ps & chosen))
        .to_numpy(dtype=bool)
    )


@dataclass
class Prepared:
    """The pool as the scenario reads it, and what was done to get there."""

    pool: Pool
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    country_columns: dict[str, countries.CountryTable] = field(default_factory=dict)
    """Columns resolved as countries (the sources of ``derive``) and the table they use."""
    records: list[NormalisedValue] = field(default_factory=list)
    """Every raw value a step changed, complete (the warnings abridge them)."""


def prepare_pool(scenario: Scenario, pool: Pool, source: str) -> Prepared:
    """Apply ``columns``, ``multi``, ``aliases``, ``derive`` and ``missing``, in that order.

    Problems are collected, not raised, so that
    :func:`balancer.engine.problem.build_problem` reports
    them with the scenario's own. A scenario that uses none of the keys returns the pool as is.
    A pool that was prepared already (``Pool.normalised``) is returned as is, with the notes of
    its preparation: applying ``columns`` twice would look for headers that are gone.
    """
    s = scenario
    if pool.normalised:  # prepared already: its notes say what was done, once
        return Prepared(
            pool,
            warnings=list(pool.notes),
            country_columns=dict(pool.country_columns),
            records=list(pool.normalisation),
        )
    if not (s.columns or s.aliases or s.missing or s.derive or s.multi):
        records: list[NormalisedValue] = []
        table, folded = fold_case(s, pool.table, records=records)
        warnings = [*pool.notes, *folded]
        prepared = dataclasses.replace(
            pool,
            table=table,
            normalised=True,
            notes=tuple(warnings),
            normalisation=tuple(records),
        )
        return Prepared(prepared, warnings=warnings, records=records)
    work = _Work(s, pool, source)
    work.rename()
    work.split()
    work.alias()
    work.table, folded = fold_case(
        s, work.table, skip=[*s.aliases, *s.derive.values()], records=work.records
    )
    work.warnings += folded
    work.derive()
    work.apply_missing()
    work.check_unused()
    kept = work.table.index.to_numpy()
    rows = None
    if len(kept) < len(pool.table):
        rows = pool.source_rows[kept] if pool.source_rows is not None else kept + 2
    else:
        rows = pool.source_rows
    table = work.table.reset_index(drop=True)
    warnings = [*pool.notes, *work.warnings]
    prepared = dataclasses.replace(
        pool,
        table=table,
        id_column=work.id_column,
        source_rows=rows,
        notes=tuple(warnings),
        normalised=True,
        country_columns=dict(work.countries),
        normalisation=tuple(work.records),
    )
    return Prepared(prepared, work.problems, warnings, work.countries, work.records)


def named_values(scenario: Scenario) -> dict[str, set[str]]:
    """Per column, the values the scenario's quotas, targets and groups name (trimmed)."""
    named: dict[str, set[str]] = {}
    for column, values in scenario.quotas.items():
        named.setdefault(column, set()).update(values)
    for column, target in scenario.targets.items():
        if isinstance(target, dict):
            named.setdefault(column, set()).update(target)
        elif not isinstance(target, str):
            named.setdefault(column, set()).update(target.equal)
    for group in scenario.groups:
        for column, wanted in group.where.items():
            listed = wanted if isinstance(wanted, list) else [wanted]
            named.setdefault(column, set()).update(str(v) for v in listed if v)
    return {column: {str(v).strip() for v in values} for column, values in named.items()}


def fold_case(
    scenario: Scenario,
    table: pd.DataFrame,
    skip: Iterable[str] = (),
    records: list[NormalisedValue] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Cells that differ from a value the scenario names only by case count as that value.

    ``yes``, ``Yes`` and ``YES`` in one column are one answer typed three ways; without this
    only the exact spelling counted towards a quota on ``yes``, silently. A warning gives the
    counts, so a convener who meant them apart can say so with ``aliases:``. Columns in
    ``skip`` (aliased or resolved as countries: spelled by the scenario already) and values
    the scenario names in two cases (``yes`` and ``Yes``: meant apart) are left alone, and
    so is a named value the pool never spells exactly (the scenario's typo, refused by the
    checks).
    """
    warnings: list[str] = []
    skipped = set(skip)
    for column, values in sorted(named_values(scenario).items()):
        if column in skipped or column not in table.columns:
            continue
        by_fold: dict[str, set[str]] = {}
        for value in values:
            by_fold.setdefault(value.casefold(), set()).add(value)
        lookup = {k: next(iter(v)) for k, v in by_fold.items() if len(v) == 1}
        separator = scenario.multi.get(column)
        cells = table[column]
        counts = (
            cells.value_counts(sort=False)
            if separator is None
            else part_counts(table, column, separator)
        )
        present = {str(raw) for raw in counts.index}
        # Only where the pool has the named spelling too: a scenario's 'Woman' over a pool
        # of 'woman' is the scenario's typo, refused by the checks with a did-you-mean.
        lookup = {k: v for k, v in lookup.items() if v in present}
        mapped = {
            raw: lookup[raw.casefold()]
            for raw in present
            if raw.casefold() in lookup and lookup[raw.casefold()] != raw
        }
        if not mapped:
            continue
        if separator is None:
            renamed = {raw: mapped.get(str(raw), str(raw)) for raw in cells.unique()}
        else:
            renamed = {
                raw: separator.join(
                    sorted({mapped.get(p, p) for p in cell_parts(str(raw), separator)})
                )
                for raw in cells.unique()
            }
        table = table.copy()
        table[column] = cells.map(renamed).astype(cells.dtype)
        if records is not None:  # the normalisation record: every spelling, complete
            records.extend(
                NormalisedValue(
                    step="case", column=column, raw=raw, count=int(counts[raw]), became=value
                )
                for raw, value in sorted(mapped.items(), key=lambda item: item[0])
            )
        said = "; ".join(
            f"'{raw}' x{int(counts[raw])} -> '{value}'"
            for raw, value in sorted(mapped.items(), key=lambda item: item[0])[:_MOST_VALUES]
        )
        warnings.append(
            f"{column}: counted as the value the scenario names (same word, other case): {said}"
            "; use aliases: to keep them apart"
        )
    return table, warnings


def _rows(pool: Pool, positions: Iterable[int]) -> str:
    shown = list(positions)
    text = ", ".join(pool.row_label(int(i)) for i in shown[:_MOST_ROWS])
    return text + (", ..." if len(shown) > _MOST_ROWS else "")


def _yes_no(value: str) -> str | None:
    folded = value.strip().casefold()
    if folded in _TRUE:
        return "yes"
    if folded in _FALSE:
        return "no"
    return None


def _unstated(raw: str) -> bool:
    """A cell that says the country is not known (it derives 'unknown', and is no error)."""
    return countries.key(raw) == "unknown"


def _unknown_fix(
    raw: str, column: str, table: countries.CountryTable, derive: dict[str, str]
) -> str:
    """Both ways to make an unknown place known, with the nearest names when there are any."""
    near = table.nearest(raw)
    fields = [COUNTRY_FIELDS[t] for t, c in derive.items() if c == column and t in COUNTRY_FIELDS]
    needed = ["iso3", "name", *sorted({f for f in fields if f not in ("iso3", "name")})]
    guess = f"did you mean {' or '.join(repr(n) for n in near)}? Otherwise " if near else ""
    return (
        f"{guess}add an alias to a country of the table (aliases: {{{column}: {{'{raw}': ...}}}}), "
        f"or a row for it in a countries: file with the columns {','.join(needed)}"
    )


def _region_key(value: str) -> str:
    """A stated regional group, reduced so that "African Group", "AFRICAN" and "Africa" agree."""
    text = countries.key(value).removesuffix(" group").removesuffix(" states")
    short = {
        "africa": "african",
        "asia and the pacific": "asia pacific",
        "asia and pacific": "asia pacific",
        "apg": "asia pacific",
        "eeg": "eastern european",
        "eastern europe": "eastern european",
        "grulac": "latin american and caribbean",
        "latin america and caribbean": "latin american and caribbean",
        "latin america and the caribbean": "latin american and caribbean",
        "weog": "western european and others",
    }
    return short.get(text, text)


class _Work:
    def __init__(self, scenario: Scenario, pool: Pool, source: str) -> None:
        self.s = scenario
        self.pool = pool
        self.source = source
        self.pool_name = str(pool.path) if pool.path else "<pool>"
        self.table = pool.table.copy()
        self.id_column = pool.id_column
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.countries: dict[str, countries.CountryTable] = {}
        self.records: list[NormalisedValue] = []

    def record(
        self,
        step: Step,
        column: str,
        counts: pd.Series,
        became: dict[str, str],
        iso3: dict[str, str] | None = None,
    ) -> None:
        """One record per raw value (of ``counts``) whose value ``became`` another."""
        for raw in sorted((str(r) for r in counts.index), key=lambda r: (r.casefold(), r)):
            new = became.get(raw, raw)
            if new != raw:
                self.records.append(
                    NormalisedValue(
                        step=step,
                        column=column,
                        raw=raw,
                        count=int(counts[raw]),
                        became=new,
                        country_iso3=(iso3 or {}).get(raw),
                    )
                )

    def add(self, where: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.source, where, message, fix))

    def has(self, column: str, where: str) -> bool:
        if column in self.table.columns:
            return True
        self.add(
            where,
            f"column '{column}' is not in the pool {self.pool_name}",
            did_you_mean(column, self.table.columns, what="columns are"),
        )
        return False

    def rename(self) -> None:
        """The pool's own headers to the names the scenario uses."""
        mapping = {}
        for header, name in self.s.columns.items():
            if self.has(header, f"columns.{header}"):
                mapping[header] = name
        clashes = sorted(
            name
            for name in set(mapping.values())
            if list(mapping.values()).count(name) > 1
            or (name in self.table.columns and name not in mapping)
        )
        for name in clashes:
            self.add(
                f"columns (-> {name})",
                f"two pool columns would be called '{name}'",
                "map only one column to each name",
            )
        if not clashes:
            self.table = self.table.rename(columns=mapping)
            self.id_column = mapping.get(self.id_column, self.id_column)

    def split(self) -> None:
        """Multi-valued cells to one spelling per set of parts (sorted, trimmed, joined).

        Before ``missing``, so that a cell of separators only counts as empty.
        """
        for column, separator in self.s.multi.items():
            if self.has(column, f"multi.{column}"):
                cells = self.table[column]
                spelled = {raw: canonical(str(raw), separator) for raw in cells.unique()}
                self.record("multi", column, cells.value_counts(sort=False), spelled)
                self.table[column] = cells.map(spelled).astype(cells.dtype)

    def alias(self) -> None:
        """Every alias, and every case variant of a value an alias leads to, to that value.

        In a multi-valued column each part is aliased on its own (the parts are what counts).
        """
        for column, aliases in self.s.aliases.items():
            if not self.has(column, f"aliases.{column}"):
                continue
            lookup = {
                str(value).strip().casefold(): str(value).strip() for value in aliases.values()
            }
            lookup.update(
                {str(raw).strip().casefold(): str(value).strip() for raw, value in aliases.items()}
            )
            cells = self.table[column]
            separator = self.s.multi.get(column)
            if separator is None:
                counts = cells.value_counts(sort=False)
            else:
                counts = part_counts(self.table, column, separator)
            mapped = {str(raw): lookup.get(str(raw).casefold(), str(raw)) for raw in counts.index}
            if separator is None:
                self.table[column] = cells.map(mapped).astype(cells.dtype)
            else:
                renamed = {
                    raw: separator.join(
                        sorted({mapped[part] for part in cell_parts(str(raw), separator)})
                    )
                    for raw in cells.unique()
                }
                self.table[column] = cells.map(renamed).astype(cells.dtype)
            self.record("aliases", column, counts, mapped)
            self.warnings.append(self._describe(f"aliases.{column}", counts, mapped))

    @staticmethod
    def _describe(where: str, counts: pd.Series, mapped: dict[str, str]) -> str:
        parts = []
        for raw in sorted(mapped, key=str.casefold)[:_MOST_VALUES]:
            count = int(counts[raw])
            became = mapped[raw]
            shown = "(empty)" if raw == "" else f"'{raw}'"
            arrow = "kept" if became == raw else f"-> '{became}'"
            parts.append(f"{shown} x{count} {arrow}")
        more = f"; and {len(mapped) - _MOST_VALUES} more" if len(mapped) > _MOST_VALUES else ""
        return f"{where}: " + "; ".join(parts) + more

    def _table(self) -> countries.CountryTable | None:
        if self.s.countries is None:
            return countries.shipped()
        path = Path(self.s.countries)
        if not path.is_absolute() and Path(self.source).is_file():
            path = Path(self.source).parent / path
        try:
            return countries.load(path)
        except InputError as error:
            self.problems.extend(error.problems)
            return None

    def derive(self) -> None:
        """Columns from the country column; stated values that disagree are flagged.

        The country column itself is then rewritten to each country's short name (one
        spelling per ISO code), so every cap, quota, group, target and report on it counts
        countries, not spellings: "UK" and "United Kingdom" are one country under
        ``caps: {country: 1}``. A derived column never silently replaces a pool column of
        another meaning: only the attributes a pool may state itself (``un_region``, ``sids``,
        ...) are checked against the country and replaced, with warnings.
        """
        if not self.s.derive:
            return
        table = self._table()
        reported: set[str] = set()  # a column derived several ways names a bad country once
        resolved: dict[str, dict[str, countries.Country | None]] = {}
        for target, column in self.s.derive.items():
            where = f"derive.{target}"
            if target not in DERIVABLE:
                self.add(where, f"cannot derive '{target}'", did_you_mean(target, DERIVABLE))
                continue
            if target == column:
                self.add(
                    where,
                    f"'{target}' would be derived from itself and overwrite the country column",
                    f"derive it under another name, e.g. country_{COUNTRY_FIELDS[target]}",
                )
                continue
            if table is None or not self.has(column, where):
                continue
            cells = self.table[column]
            found = resolved.get(column)
            if found is None:
                found = {str(raw): table.lookup(str(raw)) for raw in cells.unique() if str(raw)}
                resolved[column] = found
            unknown = sorted(
                raw for raw, country in found.items() if country is None and not _unstated(raw)
            )
            for raw in unknown if column not in reported else []:
                rows = np.flatnonzero((cells == raw).to_numpy())
                self.problems.append(
                    Problem(
                        self.pool_name,
                        f"column '{column}', {_rows(self.pool, rows)}",
                        f"unknown country '{raw}'",
                        _unknown_fix(raw, column, table, self.s.derive),
                    )
                )
            reported.add(column)
            attribute = COUNTRY_FIELDS[target]
            values = {
                raw: (country.value(attribute) if country else "unknown")
                for raw, country in found.items()
            }
            derived = cells.map({**values, "": ""}).astype(cells.dtype)
            if target in self.table.columns:
                if attribute in countries.FIELDS:
                    self._contradictions(target, self.table[target], derived)
                    self._replaced(target, self.table[target], derived)
                elif not self.table[target].equals(derived):
                    self.add(
                        where,
                        f"the pool already has a column '{target}'; deriving it from "
                        f"'{column}' would overwrite it",
                        f"derive it under another name (derive: {{country_{attribute}: "
                        f"{column}}}), or rename the pool's column (columns: {{{target}: ...}})",
                    )
                    continue
            self.table[target] = derived
            counts = cells.value_counts(sort=False)
            self.warnings.append(
                self._describe(
                    where, counts, {str(r): values.get(str(r), "") for r in counts.index}
                )
            )
        for column, found in resolved.items():
            assert table is not None
            self._as_countries(column, found, table)

    def _as_countries(
        self, column: str, found: dict[str, countries.Country | None], table: countries.CountryTable
    ) -> None:
        """Rewrite a country column to one spelling per country, listing merged spellings."""
        if column in self.s.multi:
            self.warnings.append(
                f"derive: column '{column}' is multi-valued, so its cells are kept as spelt "
                "(caps and quotas on it count spellings, not countries)"
            )
            return
        cells = self.table[column]
        names = {raw: country.name for raw, country in found.items() if country is not None}
        self.table[column] = cells.map(lambda raw: names.get(str(raw), str(raw))).astype(
            cells.dtype
        )
        self.countries[column] = table
        counts = cells.value_counts(sort=False)
        self.record(
            "country",
            column,
            counts,
            names,
            {raw: country.iso3 for raw, country in found.items() if country is not None},
        )
        for entry in self.records:  # an alias into a country column: say which country too
            if entry.step == "aliases" and entry.column == column:
                matched = found.get(entry.became)
                entry.country_iso3 = matched.iso3 if matched is not None else None
        spellings: dict[str, list[str]] = {}
        for raw, country in sorted(found.items(), key=lambda item: item[0].casefold()):
            if country is not None:
                spellings.setdefault(country.iso3, []).append(raw)
        merged = []
        for iso3, raws in sorted(spellings.items()):
            if len(raws) > 1:
                name = table.countries[iso3].name
                spelt = " and ".join(f"'{r}' x{int(counts[r])}" for r in raws)
                merged.append(f"{spelt} are one country, {name} ({iso3})")
        if merged:
            self.warnings.append(
                f"derive: column '{column}' counts countries, not spellings: " + "; ".join(merged)
            )

    def _replaced(self, target: str, stated: pd.Series, derived: pd.Series) -> None:
        """Record the pool's own values of ``target`` that the derived ones replace."""
        pairs = pd.DataFrame({"raw": stated.astype(str), "became": derived.astype(str)})
        changed = pairs[pairs["raw"] != pairs["became"]]
        counted: dict[tuple[str, str], int] = {}
        for raw, became in zip(changed["raw"], changed["became"], strict=True):
            counted[(raw, became)] = counted.get((raw, became), 0) + 1
        for (raw, became), count in sorted(counted.items()):
            self.records.append(
                NormalisedValue(
                    step="derive", column=target, raw=raw, count=int(count), became=became
                )
            )

    def _contradictions(self, target: str, stated: pd.Series, derived: pd.Series) -> None:
        """Rows whose own value of ``target`` disagrees with their country's."""
        if target == "un_region":
            same = [_region_key(a) == _region_key(b) for a, b in zip(stated, derived, strict=True)]
        elif target in countries.FIELDS:
            same = [_yes_no(a) == b for a, b in zip(stated, derived, strict=True)]
        else:
            same = [
                countries.key(a) == countries.key(b) for a, b in zip(stated, derived, strict=True)
            ]
        mask = ~np.array(same, dtype=bool) & (stated != "").to_numpy() & (derived != "").to_numpy()
        if derived.eq("unknown").any():
            mask &= (derived != "unknown").to_numpy()
        pairs: dict[tuple[str, str], list[int]] = {}
        for row in np.flatnonzero(mask).tolist():
            pairs.setdefault((str(stated.iat[row]), str(derived.iat[row])), []).append(row)
        for (said, country_says), rows in sorted(pairs.items()):
            message = (
                f"{len(rows)} row(s) ({_rows(self.pool, rows)}) say {target} '{said}' but their "
                f"country gives '{country_says}'"
                + ("" if self.s.strict else "; the country's value is used")
            )
            fix = "correct the rows, or override the country in a countries: file"
            if self.s.strict:
                self.problems.append(Problem(self.pool_name, f"column '{target}'", message, fix))
            else:
                self.warnings.append(f"{self.pool_name}: column '{target}': {message} ({fix})")

    def apply_missing(self) -> None:
        """Empty cells by each column's policy: 'unknown' fills, 'exclude' drops the row."""
        drop = np.zeros(len(self.table), dtype=bool)
        for column, policy in self.s.missing.items():
            if not self.has(column, f"missing.{column}") or policy == "error":
                continue  # 'error' is the checks' own behaviour
            empty = (self.table[column] == "").to_numpy()
            if not empty.any():
                continue
            rows = np.flatnonzero(empty)
            blanks = pd.Series({"": len(rows)})
            self.record(
                "missing", column, blanks, {"": "unknown" if policy == "unknown" else "(left out)"}
            )
            if policy == "unknown":
                self.table.loc[empty, column] = "unknown"
                self.warnings.append(
                    f"missing.{column}: {len(rows)} empty cell(s) ({_rows(self.pool, rows)}) "
                    "read as 'unknown'"
                )
            else:
                drop |= empty
                self.warnings.append(
                    f"missing.{column}: {len(rows)} candidate(s) with no {column} "
                    f"({_rows(self.pool, rows)}) left out of the pool"
                )
        if drop.any():
            ids = self.table[self.id_column] if self.id_column in self.table.columns else None
            named = set(self.s.include) & set(ids[drop]) if ids is not None else set()
            for cid in sorted(named):
                self.add(
                    "include",
                    f"'{cid}' is left out by a missing: exclude policy",
                    "fill in the cell or drop the policy",
                )
            self.table = self.table[~drop]

    def check_unused(self) -> None:
        """With ``strict``, values of an aliased column that no quota, group or target names.

        Only aliased columns: there the convener listed the spellings, so a value outside the
        criteria is a spelling the aliases missed. A derived column's other values (the regions
        no quota is about) are expected.
        """
        if not self.s.strict:
            return
        s = self.s
        for column in sorted(s.aliases):
            if column not in self.table.columns or s.targets.get(column) in ("equal", "pool"):
                continue
            named: set[str] = set(s.quotas.get(column, {}))
            target = s.targets.get(column)
            if isinstance(target, dict):
                named |= set(target)
            elif target is not None and not isinstance(target, str):
                named |= set(target.equal)
            for group in s.groups:
                wanted = group.where.get(column)
                named |= set(wanted if isinstance(wanted, list) else [wanted] if wanted else [])
            if not named:
                continue
            named = {n.strip() for n in named}
            present = set(part_counts(self.table, column, s.multi.get(column)).index.tolist())
            unused = sorted(str(v) for v in present - named)
            if unused:
                self.add(
                    f"aliases.{column}",
                    f"strict: pool values of '{column}' that no quota, group or target uses: "
                    + ", ".join(f"'{v}'" for v in unused[:_MOST_VALUES]),
                    "add aliases for them, or criteria that name them",
                )


_EMAIL = ("email", "e-mail", "e_mail", "email address", "e-mail address", "mail")
_NAME = ("name", "full name", "full_name")
_ORGANISATION = ("organisation", "organization", "org", "affiliation")


def _default_duplicate_keys(columns: Iterable[str]) -> list[list[str]]:
    """An e-mail column, and a name column with an organisation column, when the pool has them."""
    by_folded = {str(c).strip().casefold(): str(c) for c in columns}
    keys = [[by_folded[c]] for c in _EMAIL if c in by_folded][:1]
    name = next((by_folded[c] for c in _NAME if c in by_folded), None)
    org = next((by_folded[c] for c in _ORGANISATION if c in by_folded), None)
    if name and org:
        keys.append([name, org])
    return keys


def _folded(column: pd.Series) -> pd.Series:
    """The cells trimmed and case-folded, as the nominated-twice check compares them.

    ``str.casefold`` runs Python per cell (about a second per free-text column of a million
    rows); on ASCII text it equals Arrow's vectorised lowercase, so that is used when every
    cell is ASCII, and the pool's exact answer does not change.
    """
    cells = trimmed(column)
    if pc.all(pc.string_is_ascii(pa.array(cells.array))).as_py() is not False:
        return cells.str.lower()
    return cells.str.casefold()


def _repeated(cells: pd.Series) -> npt.NDArray[np.bool_]:
    """Which cells occur more than once: one Arrow hash pass (pandas' ``duplicated(keep=False)``
    on Arrow strings took about twice as long on a million e-mails)."""
    arrow = pa.array(cells.array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    codes = pc.dictionary_encode(arrow, null_encoding="encode").indices
    index = codes.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    repeated: npt.NDArray[np.bool_] = np.bincount(index)[index] > 1
    return repeated


def duplicate_nominations(
    scenario: Scenario, pool: Pool, source: str
) -> tuple[list[str], list[Problem]]:
    """Warnings for rows that look like one person nominated twice, and bad column names.

    Rows sharing an e-mail address, or a name and an organisation (compared trimmed, in any
    case and spacing), are the same person more often than not; balancer cannot know, so it
    warns with the rows and ids and leaves the decision to the convener (exclude one of them).
    """
    table = pool.table
    keys = scenario.duplicates
    problems: list[Problem] = []
    if keys is None:
        keys = _default_duplicate_keys(table.columns)
    else:
        for i, columns in enumerate(keys):
            for column in columns:
                if column not in table.columns:
                    problems.append(
                        Problem(
                            source,
                            f"duplicates[{i}]",
                            f"column '{column}' is not in the pool",
                            did_you_mean(column, table.columns, what="columns are"),
                        )
                    )
        if problems:
            return [], problems
    warnings = []
    for columns in keys:
        if not columns:
            continue
        folded = [_folded(table[c]) for c in columns]
        filled = np.ones(len(table), dtype=bool)
        for cells in folded:
            filled &= (cells != "").to_numpy()
        combined = folded[0]
        for cells in folded[1:]:
            combined = combined + "\x1f" + cells
        # Only the repeated keys are grouped in Python: a million-row pool costs one hash pass.
        twice = filled & _repeated(combined)
        groups: dict[str, list[int]] = {}
        for row in np.flatnonzero(twice).tolist():
            groups.setdefault(str(combined.iat[row]), []).append(row)
        repeated = [rows for rows in groups.values() if len(rows) > 1]
        if not repeated:
            continue
        ids = table[pool.id_column] if pool.id_column in table.columns else None
        shown = []
        for rows in repeated[:_MOST_ROWS]:
            who = ", ".join(
                f"{pool.row_label(r)} ({ids.iat[r]})" if ids is not None else pool.row_label(r)
                for r in rows
            )
            shown.append(who)
        more = f"; and {len(repeated) - _MOST_ROWS} more" if len(repeated) > _MOST_ROWS else ""
        warnings.append(
            f"possibly nominated twice ({len(repeated)} case(s) with the same "
            f"{' and '.join(columns)}): "
            + "; ".join(shown)
            + more
            + " (exclude one row of each, or set duplicates: to the columns that identify a "
            "person)"
        )
    return warnings, problems
