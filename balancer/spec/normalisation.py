"""The normalisation record: every raw pool value that reading the pool changed.

A convener checks how the pool was read from this table (``normalisation.csv`` and the
internal report's "How the pool was read"), not from prose warnings. It lives in ``spec`` so
that the reading layer (``io``) writes it and the reports (``selection``) carry it without
either importing the other. It quotes raw cells, so it is internal: the public variant
never carries it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Step = Literal["multi", "aliases", "case", "country", "derive", "missing"]

COLUMNS = ("step", "column", "raw", "count", "became", "country_iso3")
"""The columns of ``normalisation.csv``, in order."""


class NormalisedValue(BaseModel):
    """One distinct raw value of one column, what it became and in how many cells."""

    step: Step = Field(
        description="multi (cell respelt as sorted parts), aliases, case (another case of a value "
        "the scenario names), country (one spelling per "
        "country), derive (a stated value replaced by its country's), missing (empty cell)"
    )
    column: str = Field(description="the column as the scenario names it")
    raw: str = Field(description="the value as it stood before this step ('' for empty)")
    count: int = Field(description="cells (parts, in a multi-valued column) holding it")
    became: str = Field(description="the value after this step ('(left out)': row dropped)")
    country_iso3: str | None = Field(
        default=None, description="the ISO3 code matched, when the column is read as countries"
    )
