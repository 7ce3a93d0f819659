"""The words a reader sees for a pool column and its values (``labels:`` in the scenario).

Ids, JSON and CSV keep the pool's own names (machines key on them); sentences, tables and
charts a person reads say the labels. A column or value without a label is said as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Labels:
    """Column -> label, and per column value -> label."""

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Mapping[str, object]) -> Labels:
        """From the scenario's ``labels:`` (or a report's JSON copy of it)."""
        columns: dict[str, str] = {}
        values: dict[str, dict[str, str]] = {}
        for column, entry in entries.items():
            label = getattr(entry, "label", None)
            words = getattr(entry, "values", None)
            if isinstance(entry, Mapping):
                label, words = entry.get("label"), entry.get("values")
            if label:
                columns[column] = str(label)
            if words:
                values[column] = {str(k): str(v) for k, v in dict(words).items()}
        return cls(columns, values)

    def column(self, column: str) -> str:
        return self.columns.get(column, column)

    def value(self, column: str, value: str) -> str:
        return self.values.get(column, {}).get(value, value)


NONE = Labels()
