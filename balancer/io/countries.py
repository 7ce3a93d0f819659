"""Country reference data: ISO codes, UN regional groups, SIDS, LDC, LLDC and "Global South".

Pools name countries in every spelling ("Türkiye", "Turkey", "TR", "tur"); quotas are about
UN regional groups or SIDS status. Shipping the table (``balancer/io/data/countries.csv``, its
sources and dates in its header comments and in ``docs/countries.md``) means a convener does
not have to tag every row by hand, and a scenario can still override any row with its own file
when its definitions differ (a different "Global South", a later LDC list).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from balancer.spec.errors import InputError, Problem

FIELDS = ("un_region", "sids", "ldc", "lldc", "global_south")
"""The attributes a scenario may derive from a country (``derive: {un_region: country}``)."""

COLUMNS = ("iso3", "iso2", "name", "un_status", "un_region", *FIELDS[1:], "aliases")
REGIONS = (
    "African",
    "Asia-Pacific",
    "Eastern European",
    "Latin American and Caribbean",
    "Western European and Others",
)
"""The five UN regional groups, spelt as in the shipped table; ``none`` is outside all five."""

_YES_NO = {"yes", "no"}
_STATUSES = {"member", "observer", "territory"}


@dataclass(frozen=True)
class Country:
    """One row of the table."""

    iso3: str
    iso2: str
    name: str
    un_status: str
    un_region: str
    sids: str
    ldc: str
    lldc: str
    global_south: str
    aliases: tuple[str, ...] = ()

    def value(self, attribute: str) -> str:
        """The derived value of ``attribute`` (one of :data:`FIELDS`)."""
        return str(getattr(self, attribute))


def key(text: str) -> str:
    """The matching key of a country spelling: accents, case, punctuation and "the" ignored.

    Spreadsheets spell the same country with and without accents ("Cote d'Ivoire"), with curly
    or straight apostrophes, "St." or "Saint", "&" or "and"; all of these should find it.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("&", " and ")
    plain = re.sub(r"\bst\b\.?", "saint", plain)
    words = re.findall(r"[a-z0-9]+", plain)
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@dataclass
class CountryTable:
    """The table with an index from every accepted spelling to its row."""

    countries: dict[str, Country]
    source: str
    # Countries whose spellings win over the shipped ones: the rows of an override file, so
    # that a scenario adding Hong Kong (an alias of China in the shipped table) can have it.
    preferred: tuple[str, ...] = ()
    _index: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {}
        first = [self.countries[c] for c in self.preferred if c in self.countries]
        for country in [*first, *self.countries.values()]:
            for spelling in (country.iso3, country.iso2, country.name, *country.aliases):
                self._index.setdefault(key(spelling), country.iso3)

    def lookup(self, text: str) -> Country | None:
        """The country a cell names (a name, alias, alpha-2 or alpha-3 code, in any case)."""
        found = self._index.get(key(text))
        return self.countries[found] if found else None

    def nearest(self, text: str, n: int = 3) -> list[str]:
        """The names of the countries whose spellings are closest to ``text``."""
        wanted = key(text)
        # Codes are compared with codes and names with names: "Kenia" is near "Kenya", and
        # not near the code "KN" (Saint Kitts and Nevis).
        pool = [s for s in self._index if (len(s) <= 3) == (len(wanted) <= 3)]
        close = difflib.get_close_matches(wanted, pool, n=n * 3, cutoff=0.7)
        names: list[str] = []
        for spelling in close:
            name = self.countries[self._index[spelling]].name
            if name not in names:
                names.append(name)
        return names[:n]


def _rows(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [
        {str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
        for row in csv.DictReader(io.StringIO("\n".join(lines)))
    ]


def _country(row: Mapping[str, str]) -> Country:
    aliases = tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip())
    return Country(
        iso3=row["iso3"].upper(),
        iso2=row.get("iso2", "").upper(),
        name=row.get("name", ""),
        un_status=row.get("un_status", ""),
        un_region=row.get("un_region", ""),
        sids=row.get("sids", ""),
        ldc=row.get("ldc", ""),
        lldc=row.get("lldc", ""),
        global_south=row.get("global_south", ""),
        aliases=aliases,
    )


@cache
def shipped() -> CountryTable:
    """The table shipped with balancer."""
    text = resources.files("balancer.io").joinpath("data/countries.csv").read_text("utf-8")
    countries = {c.iso3: c for c in map(_country, _rows(text))}
    return CountryTable(countries, source="balancer/io/data/countries.csv")


def load(path: str | Path | None = None) -> CountryTable:
    """The shipped table, with the rows of a scenario's own mapping file laid over it.

    The override file has an ``iso3`` column and any of the shipped columns; a row replaces
    the fields it fills for that country (or adds a country), empty cells keep the shipped
    value. So a file with just ``iso3,global_south`` redefines "Global South" and nothing else.
    """
    base = shipped()
    if path is None:
        return base
    file = Path(path)
    source = str(file)
    if not file.is_file():
        raise InputError([Problem(source, "", "country mapping file not found", "check the path")])
    try:
        rows = _rows(file.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(
            [Problem(source, "", "is not UTF-8 text", "save it as CSV UTF-8")]
        ) from None
    problems: list[Problem] = []
    header = set(rows[0]) if rows else set()
    if "iso3" not in header:
        problems.append(
            Problem(source, "header", "no 'iso3' column", "name each country by its alpha-3 code")
        )
        raise InputError(problems)
    unknown = sorted(header - set(COLUMNS))
    if unknown:
        problems.append(
            Problem(
                source,
                "header",
                f"unknown column(s) {', '.join(unknown)}",
                f"columns are: {', '.join(COLUMNS)}",
            )
        )
    countries = dict(base.countries)
    preferred: list[str] = []
    for number, row in enumerate(rows, start=2):
        iso3 = row.get("iso3", "").upper()
        where = f"row {number}"
        if not re.fullmatch(r"[A-Z]{3}", iso3):
            problems.append(Problem(source, where, f"'{iso3}' is not an alpha-3 code", "e.g. KEN"))
            continue
        for column in ("sids", "ldc", "lldc", "global_south"):
            if row.get(column, "") not in {"", *_YES_NO}:
                problems.append(
                    Problem(source, f"{where}, {column}", f"'{row[column]}'", "write yes or no")
                )
        if row.get("un_status", "") not in {"", *_STATUSES}:
            problems.append(
                Problem(
                    source,
                    f"{where}, un_status",
                    f"'{row['un_status']}'",
                    "write member, observer or territory",
                )
            )
        old = countries.get(iso3)
        merged = {c: str(getattr(old, c)) for c in COLUMNS if c != "aliases"} if old else {}
        merged["aliases"] = "|".join(old.aliases) if old else ""
        merged.update({c: v for c, v in row.items() if v and c in COLUMNS})
        merged["iso3"] = iso3
        if old is None and not merged.get("name"):
            problems.append(Problem(source, where, f"new country {iso3} has no name", "add one"))
            continue
        countries[iso3] = _country(merged)
        preferred.append(iso3)
    # A country column is rewritten to short names, so one name must mean one country.
    named: dict[str, str] = {}
    for country in countries.values():
        other = named.setdefault(key(country.name), country.iso3)
        if other != country.iso3:
            problems.append(
                Problem(
                    source,
                    f"name of {country.iso3}",
                    f"'{country.name}' is also the name of {other}",
                    "give every country its own name (other spellings go in aliases)",
                )
            )
    if problems:
        raise InputError(problems)
    return CountryTable(countries, source=source, preferred=tuple(preferred))


def members(table: CountryTable | None = None) -> list[Country]:
    """The UN member states of a table (193 in the shipped one)."""
    return [c for c in (table or shipped()).countries.values() if c.un_status == "member"]


def check_table(table: CountryTable) -> Iterable[str]:
    """Consistency problems of a table (used by the tests and for override files)."""
    for country in table.countries.values():
        if country.un_region not in {*REGIONS, "none"}:
            yield f"{country.iso3}: un_region '{country.un_region}'"
        for column in ("sids", "ldc", "lldc", "global_south"):
            if country.value(column) not in _YES_NO:
                yield f"{country.iso3}: {column} '{country.value(column)}'"
