"""Comparison of the shipped country table with shared/reference/country_crosscheck.csv."""

from __future__ import annotations

import csv
from pathlib import Path

from balancer.io.countries import CountryTable

_GROUP_NAMES = {
    "African": "African Group",
    "Asia-Pacific": "Asia and the Pacific Group",
    "Eastern European": "Eastern European Group",
    "Latin American and Caribbean": "Latin American and Caribbean Group",
    "Western European and Others": "Western European and Others Group",
    "none": "",
}
SIDS_COLUMNS = ("sids_m49_datasets_country_codes", "sids_worldcountrygroups", "sids_uaruba_is_sids")


def differences(table: CountryTable, crosscheck: Path) -> set[tuple[str, str, str, str]]:
    """(iso3, field, ours, theirs) for every disagreement, fields named as in the crosscheck."""
    found: set[tuple[str, str, str, str]] = set()
    with crosscheck.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            iso3 = row["iso3"]
            ours = table.countries.get(iso3)
            flagged = row["un_member_mledoze"] == "True" or any(
                row[c] == "True" for c in SIDS_COLUMNS
            )
            if ours is None:
                if flagged:
                    found.add((iso3, "presence", "absent", "listed"))
                continue
            named = table.lookup(row["name"])
            if named is None or named.iso3 != iso3:
                found.add((iso3, "name", ours.name, row["name"]))
            member = str(ours.un_status == "member")
            if member != row["un_member_mledoze"]:
                found.add((iso3, "un_member_mledoze", member, row["un_member_mledoze"]))
            group = _GROUP_NAMES[ours.un_region]
            if group != row["un_regional_group_mledoze"]:
                found.add(
                    (iso3, "un_regional_group_mledoze", group, row["un_regional_group_mledoze"])
                )
            sids = str(ours.sids == "yes")
            for column in SIDS_COLUMNS:
                if sids != row[column]:
                    found.add((iso3, column, sids, row[column]))
    return found
