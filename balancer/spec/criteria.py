"""Criteria fixed in advance: a canonical form of the scenario, its SHA-256, and the seed.

A convener publishes the criteria (and their SHA-256) before the nominees are known, the
pool's SHA-256 when the call closes, and names a public text announced in advance (a lottery
result of a given day) whose SHA-256 fixes the seed. Anyone can then check that a published
board is exactly what those three give, and that nothing was tuned after the pool was seen:
the reference is RFC 3797's publicly verifiable selection.

**Canonical form.** The scenario as balancer understands it, not as it was typed: the pydantic
model dump (every default filled in, shares and weights as exact fractions such as ``"9/20"``,
yes/no values as written), without the pool's path (where the file lies is not a criterion; its
contents are committed by the pool's own SHA-256), with ``include`` and ``exclude`` sorted,
serialised as JSON with sorted keys, no spaces (``","`` and ``":"`` separators), non-ASCII
characters as themselves, in UTF-8. Comments, key order, quoting, whitespace and spelling out a
default change nothing; changing any rule, target, weight, the tie-break, the seed, the
sensitive columns or the normalisation keys changes the digest (``duplicates``, which only
warns, is left out, and so are ``labels`` and ``show``: they change how a page says the
criteria, never which board they select, so a convener may reword a page after committing).
``criteria.json`` holds exactly these bytes, so ``sha256sum criteria.json`` gives the commitment.

**Seed from a text.** ``seed = int(SHA-256(UTF-8 text))``: the 256-bit digest read as one
big-endian number, the same number ``lottery --seed-text`` reduces modulo the list length.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field

from balancer.spec.scenario import Scenario

CANONICAL_RULE = (
    "SHA-256 of the scenario's canonical JSON (criteria.json): the parsed scenario with every "
    "default filled in, shares as exact fractions, without the pool's path, include/exclude "
    "sorted, labels and show left out, keys sorted, separators ',' and ':', UTF-8"
)
SEED_RULE = "seed = int(SHA-256(UTF-8 seed text)), the digest read as a big-endian number"


def canonical(scenario: Scenario) -> dict[str, Any]:
    """The scenario as data, in the form whose digest is the commitment (see module doc)."""
    data = scenario.model_dump(mode="json")
    ref = scenario.pool_ref
    data["pool"] = {"id_column": ref.id_column, "sheet": ref.sheet}
    data.pop("id_column", None)  # said once, in pool.id_column
    data.pop("duplicates", None)  # which rows look like one person: a warning, not a criterion
    data.pop("labels", None)  # how columns are said to a reader: words, not a criterion
    data.pop("show", None)  # which member columns a page shows: presentation, not a criterion
    data["include"] = sorted(data["include"])
    data["exclude"] = sorted(data["exclude"])
    return data


def canonical_text(scenario: Scenario) -> str:
    """The canonical JSON text (what ``criteria.json`` holds, byte for byte once UTF-8)."""
    return json.dumps(
        canonical(scenario), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def criteria_sha256(scenario: Scenario) -> str:
    return hashlib.sha256(canonical_text(scenario).encode("utf-8")).hexdigest()


def seed_from_text(text: str) -> int:
    """The seed a public text gives (see module doc); anyone can recompute it."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)


class Commitment(BaseModel):
    """What a board was selected under: every report cites it, ``verify-board`` checks it."""

    criteria_sha256: str = Field(description=CANONICAL_RULE)
    pool_sha256: str | None = Field(
        default=None, description="SHA-256 of the pool file's bytes, once the call has closed"
    )
    seed_source: str | None = Field(
        default=None, description="the public text announced in advance to fix the seed"
    )
    seed_text: str | None = Field(default=None, description="the text, once it was known")
    seed: int | None = Field(default=None, description=SEED_RULE + " (or the scenario's seed)")
    canonical_form: str = CANONICAL_RULE
    seed_rule: str = SEED_RULE
