"""Synthetic candidate pools, for demos, tests and benchmarks.

Real applicant lists contain personal data and cannot be shipped, yet the optimizer has to be
exercised on pools that look like real ones: lopsided towards a few regions and stakeholder
groups, with rare attributes (small island States, disability) that quotas must still reach, and
colleagues from the same organisation competing for seats. This module makes such pools out of
thin air, reproducibly, and fast enough that a million-row benchmark pool costs seconds.

Everything is vectorised: values are drawn as integer codes and mapped through small lookup
tables, so no Python code runs once per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.dtypes import StringDType

__all__ = [
    "COLUMNS",
    "COUNTRIES",
    "GENDERS",
    "STAKEHOLDER_GROUPS",
    "UN_REGIONS",
    "Country",
    "generate_pool",
    "write_pool_csv",
]

_AF = "African"
_AP = "Asia-Pacific"
_EE = "Eastern European"
_LA = "Latin American and Caribbean"
_WE = "Western European and Others"

UN_REGIONS: tuple[str, ...] = (_AF, _AP, _EE, _LA, _WE)
"""The five UN regional groups, spelt as conveners write them in quotas."""


@dataclass(frozen=True, slots=True)
class Country:
    """A country as a pool needs it: the name shown to people and the groupings quotas use."""

    name: str
    iso3: str
    un_region: str
    sids: bool


# Within each regional group, countries are listed roughly from most to fewest volunteers in a
# typical open call: the generator gives earlier entries more weight, so the order matters.
# Türkiye and the United States are counted with WEOG, as they are for UN elections.
COUNTRIES: tuple[Country, ...] = (
    Country("Nigeria", "NGA", _AF, False),
    Country("Kenya", "KEN", _AF, False),
    Country("South Africa", "ZAF", _AF, False),
    Country("Ghana", "GHA", _AF, False),
    Country("Egypt", "EGY", _AF, False),
    Country("Morocco", "MAR", _AF, False),
    Country("Senegal", "SEN", _AF, False),
    Country("Ethiopia", "ETH", _AF, False),
    Country("Rwanda", "RWA", _AF, False),
    Country("Uganda", "UGA", _AF, False),
    Country("United Republic of Tanzania", "TZA", _AF, False),
    Country("Tunisia", "TUN", _AF, False),
    Country("Cameroon", "CMR", _AF, False),
    Country("Côte d'Ivoire", "CIV", _AF, False),
    Country("Zambia", "ZMB", _AF, False),
    Country("Namibia", "NAM", _AF, False),
    Country("Mauritius", "MUS", _AF, True),
    Country("Cabo Verde", "CPV", _AF, True),
    Country("Seychelles", "SYC", _AF, True),
    Country("Comoros", "COM", _AF, True),
    Country("India", "IND", _AP, False),
    Country("China", "CHN", _AP, False),
    Country("Japan", "JPN", _AP, False),
    Country("Republic of Korea", "KOR", _AP, False),
    Country("Indonesia", "IDN", _AP, False),
    Country("Philippines", "PHL", _AP, False),
    Country("Pakistan", "PAK", _AP, False),
    Country("Bangladesh", "BGD", _AP, False),
    Country("Viet Nam", "VNM", _AP, False),
    Country("Thailand", "THA", _AP, False),
    Country("Malaysia", "MYS", _AP, False),
    Country("Singapore", "SGP", _AP, True),
    Country("Nepal", "NPL", _AP, False),
    Country("Kazakhstan", "KAZ", _AP, False),
    Country("United Arab Emirates", "ARE", _AP, False),
    Country("Lebanon", "LBN", _AP, False),
    Country("Cyprus", "CYP", _AP, False),
    Country("Fiji", "FJI", _AP, True),
    Country("Papua New Guinea", "PNG", _AP, True),
    Country("Samoa", "WSM", _AP, True),
    Country("Maldives", "MDV", _AP, True),
    Country("Vanuatu", "VUT", _AP, True),
    Country("Tonga", "TON", _AP, True),
    Country("Poland", "POL", _EE, False),
    Country("Ukraine", "UKR", _EE, False),
    Country("Romania", "ROU", _EE, False),
    Country("Czechia", "CZE", _EE, False),
    Country("Hungary", "HUN", _EE, False),
    Country("Serbia", "SRB", _EE, False),
    Country("Georgia", "GEO", _EE, False),
    Country("Armenia", "ARM", _EE, False),
    Country("Estonia", "EST", _EE, False),
    Country("Croatia", "HRV", _EE, False),
    Country("Republic of Moldova", "MDA", _EE, False),
    Country("North Macedonia", "MKD", _EE, False),
    Country("Brazil", "BRA", _LA, False),
    Country("Mexico", "MEX", _LA, False),
    Country("Argentina", "ARG", _LA, False),
    Country("Colombia", "COL", _LA, False),
    Country("Chile", "CHL", _LA, False),
    Country("Peru", "PER", _LA, False),
    Country("Ecuador", "ECU", _LA, False),
    Country("Uruguay", "URY", _LA, False),
    Country("Costa Rica", "CRI", _LA, False),
    Country("Bolivia (Plurinational State of)", "BOL", _LA, False),
    Country("Jamaica", "JAM", _LA, True),
    Country("Dominican Republic", "DOM", _LA, True),
    Country("Trinidad and Tobago", "TTO", _LA, True),
    Country("Cuba", "CUB", _LA, True),
    Country("Barbados", "BRB", _LA, True),
    Country("Bahamas", "BHS", _LA, True),
    Country("Haiti", "HTI", _LA, True),
    Country("United States", "USA", _WE, False),
    Country("United Kingdom", "GBR", _WE, False),
    Country("Germany", "DEU", _WE, False),
    Country("France", "FRA", _WE, False),
    Country("Canada", "CAN", _WE, False),
    Country("Netherlands", "NLD", _WE, False),
    Country("Australia", "AUS", _WE, False),
    Country("Switzerland", "CHE", _WE, False),
    Country("Sweden", "SWE", _WE, False),
    Country("Spain", "ESP", _WE, False),
    Country("Italy", "ITA", _WE, False),
    Country("Belgium", "BEL", _WE, False),
    Country("Norway", "NOR", _WE, False),
    Country("Denmark", "DNK", _WE, False),
    Country("Finland", "FIN", _WE, False),
    Country("Ireland", "IRL", _WE, False),
    Country("Austria", "AUT", _WE, False),
    Country("New Zealand", "NZL", _WE, False),
    Country("Portugal", "PRT", _WE, False),
    Country("Israel", "ISR", _WE, False),
    Country("Türkiye", "TUR", _WE, False),
)

# Volunteer pools are not representative: richer regions with more policy staff apply more.
_REGION_SHARE: dict[str, float] = {_WE: 0.34, _AP: 0.28, _AF: 0.16, _LA: 0.13, _EE: 0.09}
# How steeply applications fall off down each region's list, and how much rarer small island
# States are than their place in the list suggests (tiny populations, thin delegations).
_RANK_DECAY = 0.7
_SIDS_DAMPING = 0.35

STAKEHOLDER_GROUPS: tuple[str, ...] = (
    "Civil Society",
    "Private Sector",
    "Technical Community",
    "Academia",
    "Government",
)
# Civil society answers open calls most; governments send few people to a volunteer process.
_GROUP_SHARE = (0.36, 0.21, 0.17, 0.15, 0.11)

GENDERS: tuple[str, ...] = ("woman", "man", "non-binary")
_GENDER_SHARE = (0.48, 0.49, 0.03)
_DISABILITY_SHARE = 0.07

COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "stakeholder_group",
    "un_region",
    "country",
    "gender",
    "disability",
    "sids",
    "organisation",
)

# On average this many candidates share each organisation, so "at most one per organisation"
# rules always have something to bite on.
_CANDIDATES_PER_ORGANISATION = 3

# Names are assembled from meaningless syllables and a family initial so that no row can be
# mistaken for a real person. They are drawn independently of every attribute: a name must not
# hint at gender or origin, or readers of a demo would start guessing from it.
_SYLLABLES_1 = (
    "A", "Ba", "Ca", "Da", "E", "Fe", "Ga", "Ha", "I", "Ja", "Ka", "La", "Ma", "Na", "O",
    "Pa", "Ra", "Sa", "Ta", "U", "Va", "Ya", "Za", "Ki", "Lu", "Mi", "No", "Ri", "So", "Te",
)  # fmt: skip
_SYLLABLES_2 = (
    "bi", "da", "ve", "lin", "mo", "na", "ri", "sa", "to", "vi", "ro", "zu", "ren", "lan",
    "mir", "nel",
)  # fmt: skip
_SYLLABLES_3 = ("", "ra", "ko", "na", "ti", "s")
_INITIALS = tuple("ABCDEFGHIJKLMNOPRSTUVWYZ")

# Organisation names: a topic and a kind of body that fits the stakeholder group, numbered so
# that nobody mistakes one for a real organisation. 14 topics and 5 kinds are coprime, so
# counting up walks through all 70 combinations before a number repeats.
_TOPICS = (
    "Open Data",
    "Digital Rights",
    "Internet Governance",
    "Climate Data",
    "Public Interest Tech",
    "Cyber Resilience",
    "Connectivity",
    "Data Stewardship",
    "AI Ethics",
    "Network Security",
    "Digital Inclusion",
    "Online Safety",
    "Spectrum Policy",
    "Digital Trade",
)
_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Civil Society": (
        ("", " Coalition"),
        ("", " Network"),
        ("", " Foundation"),
        ("Citizens for ", ""),
        ("", " Alliance"),
    ),
    "Private Sector": (
        ("", " Solutions"),
        ("", " Systems Ltd"),
        ("", " Partners"),
        ("", " Holdings"),
        ("", " Consulting"),
    ),
    "Technical Community": (
        ("", " Task Group"),
        ("", " Registry"),
        ("", " Engineering Circle"),
        ("", " Operators Group"),
        ("", " Standards Lab"),
    ),
    "Academia": (
        ("Institute for ", ""),
        ("", " Research Centre"),
        ("School of ", ""),
        ("", " Observatory"),
        ("", " Studies Unit"),
    ),
    "Government": (
        ("", " Agency"),
        ("Office for ", ""),
        ("Regional ", " Authority"),
        ("Intergovernmental ", " Commission"),
        ("", " Secretariat"),
    ),
}

_Strings = npt.NDArray[Any]


def _strings(values: tuple[str, ...] | list[str]) -> _Strings:
    return np.array(values, dtype=StringDType())


def _country_weights() -> npt.NDArray[np.float64]:
    """Probability of each entry of ``COUNTRIES``: region share, then a rank-decay inside it."""
    weights = np.zeros(len(COUNTRIES))
    for region, share in _REGION_SHARE.items():
        members = [i for i, c in enumerate(COUNTRIES) if c.un_region == region]
        raw = np.array(
            [
                (rank + 1.0) ** -_RANK_DECAY * (_SIDS_DAMPING if COUNTRIES[i].sids else 1.0)
                for rank, i in enumerate(members)
            ]
        )
        weights[members] = share * raw / raw.sum()
    normalised: npt.NDArray[np.float64] = weights / weights.sum()
    return normalised


def _name_table() -> _Strings:
    """Every possible "Given F." name, as Python strings ready to be indexed into."""
    s1, s2, s3 = _strings(_SYLLABLES_1), _strings(_SYLLABLES_2), _strings(_SYLLABLES_3)
    given = np.strings.add(np.strings.add(s1[:, None, None], s2[None, :, None]), s3[None, None, :])
    initials = np.strings.add(" ", np.strings.add(_strings(_INITIALS), "."))
    return np.strings.add(given.reshape(-1, 1), initials[None, :]).ravel().astype(object)


def _organisation_table(counts: list[int]) -> _Strings:
    """Organisation names for each stakeholder group in turn, ``counts[g]`` names for group g."""
    topics = _strings(_TOPICS)
    parts: list[_Strings] = []
    for group, count in zip(STAKEHOLDER_GROUPS, counts, strict=True):
        kinds = _KINDS[group]
        prefixes = _strings([p for p, _ in kinds])
        suffixes = _strings([s for _, s in kinds])
        j = np.arange(count)
        number = (j // (len(_TOPICS) * len(kinds)) + 1).astype(StringDType())
        kind = j % len(kinds)
        body = np.strings.add(prefixes[kind], topics[j % len(_TOPICS)])
        parts.append(np.strings.add(np.strings.add(body, suffixes[kind]), " ") + number)
    return np.concatenate(parts).astype(object)


def _ids(size: int) -> _Strings:
    """``c001``-style ids, zero-padded so that they sort in file order as text."""
    width = max(3, len(str(size)))
    digits = np.arange(1, size + 1).astype(StringDType())
    return np.strings.add("c", np.strings.zfill(digits, width)).astype(object)


def generate_pool(size: int, seed: int = 0) -> pd.DataFrame:
    """A fictional, realistically unbalanced pool of ``size`` candidates.

    The same ``(size, seed)`` gives the same frame with the same numpy version; numpy does not
    promise identical random streams across releases, which is why example pools are kept as
    CSV data rather than regenerated. Attributes are drawn independently of each other (only
    the organisation follows the stakeholder group), so quotas conflict only by chance.
    """
    if size < 0:
        raise ValueError(f"size must be zero or more, got {size}")
    rng = np.random.Generator(np.random.PCG64(seed))

    country_code = rng.choice(len(COUNTRIES), size=size, p=_country_weights())
    group_code = rng.choice(len(STAKEHOLDER_GROUPS), size=size, p=_GROUP_SHARE)
    gender_code = rng.choice(len(GENDERS), size=size, p=_GENDER_SHARE)
    disabled = rng.random(size) < _DISABILITY_SHARE
    names = _name_table()
    name_code = rng.integers(0, len(names), size=size)

    # Each group draws from its own organisations, so colleagues share a stakeholder group.
    org_counts = [
        max(1, round(size * share / _CANDIDATES_PER_ORGANISATION)) for share in _GROUP_SHARE
    ]
    org_offset = np.concatenate(([0], np.cumsum(org_counts)[:-1]))
    per_group = np.array(org_counts)[group_code]
    org_code = org_offset[group_code] + rng.integers(0, per_group)

    yes_no = np.array(["no", "yes"], dtype=object)
    countries = np.array([c.name for c in COUNTRIES], dtype=object)
    regions = np.array([c.un_region for c in COUNTRIES], dtype=object)
    sids = yes_no[np.array([c.sids for c in COUNTRIES], dtype=np.int64)]
    columns: dict[str, _Strings] = {
        "id": _ids(size),
        "name": names[name_code],
        "stakeholder_group": np.array(STAKEHOLDER_GROUPS, dtype=object)[group_code],
        "un_region": regions[country_code],
        "country": countries[country_code],
        "gender": np.array(GENDERS, dtype=object)[gender_code],
        "disability": yes_no[disabled.astype(np.int64)],
        "sids": sids[country_code],
        "organisation": _organisation_table(org_counts)[org_code],
    }
    # The Series already own fresh arrays; copying them again would double the peak memory.
    return pd.DataFrame(
        {name: pd.Series(columns[name], dtype="str", copy=False) for name in COLUMNS}, copy=False
    )


def write_pool_csv(path: str | Path, size: int, seed: int = 0) -> Path:
    """Write a generated pool as UTF-8 CSV, with ``\\n`` line ends so the bytes are portable."""
    target = Path(path)
    generate_pool(size, seed).to_csv(target, index=False, encoding="utf-8", lineterminator="\n")
    return target


def nature_instance(scale: int = 1) -> tuple[pd.DataFrame, str]:
    """The synthetic instance of Flanigan et al. (Nature, 2021), scaled by ``scale``.

    A pool of 1 female-conservative, 100k-1 female-liberal and 100k male-conservative
    candidates (no male-liberal) for a board of 20k with at least 10k-1 seats for each of the
    four values. Its published leximin minimum probability is 10% for k = 1 and k = 10, which
    makes it the reference test and benchmark of the fair lottery. Returns the pool and the
    scenario's YAML text.
    """
    rows = [("female", "conservative")]
    rows += [("female", "liberal")] * (100 * scale - 1)
    rows += [("male", "conservative")] * (100 * scale)
    frame = pd.DataFrame(
        {
            "id": [f"c{i:05d}" for i in range(len(rows))],
            "gender": [g for g, _ in rows],
            "leaning": [v for _, v in rows],
        }
    )
    least = 10 * scale - 1
    text = (
        f"name: Nature synthetic x{scale}\nboard_size: {20 * scale}\npool: generated.csv\n"
        f"quotas:\n  gender: {{female: {{min: {least}}}, male: {{min: {least}}}}}\n"
        f"  leaning: {{conservative: {{min: {least}}}, liberal: {{min: {least}}}}}\n"
    )
    return frame, text
