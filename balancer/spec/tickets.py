"""The public lottery that orders otherwise interchangeable candidates.

A candidate's ticket is ``SHA-256("<seed>:<id>")``, read as a 256-bit number: anyone can
recompute it with any SHA-256 tool, it does not depend on the order of rows in the pool, on
the machine, or on any library's random number generator.

Among equally balanced boards the winner is the one whose members' *lottery numbers* add up
to the smallest total, where the lottery number is the ticket's first 31 bits. Should two
boards tie on that total, the next 31 bits decide, and so on. Sums of 31-bit numbers fit the
solver's 64-bit arithmetic for any pool, and the solver proves the winner unique (see
:mod:`balancer.engine.solve`), so the roster is the same on every run and machine.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Iterable

SLICE_BITS = 31
LEVELS = 256 // SLICE_BITS  # 8 numbers of 31 bits per ticket


DIGEST_BYTES = 32


def _small_sha256() -> Callable[[bytes], hashlib._Hash]:
    """Python's own SHA-256 (``_sha2``, ``_sha256`` before 3.12), else hashlib's (OpenSSL's).

    Both compute the same standard SHA-256; for a message of a dozen bytes Python's own starts
    faster (OpenSSL sets up a context per hash), which is a quarter of the tickets' time on a
    million-row pool. A Python built without it falls back to hashlib.
    """
    for module in ("_sha2", "_sha256"):
        try:
            small: Callable[[bytes], hashlib._Hash] = importlib.import_module(module).sha256
        except (ImportError, AttributeError):
            continue
        return small
    return hashlib.sha256


def digests(seed: int, candidate_ids: Iterable[str]) -> bytes:
    """The SHA-256 digests of ``"<seed>:<id>"``, one after another (32 bytes each).

    One flat block rather than a million small objects: ticket order is read from it as an
    array, and single tickets are sliced out only for the few candidates the model needs.
    """
    prefix = f"{seed}:"
    sha = _small_sha256()
    return b"".join([sha((prefix + str(c)).encode()).digest() for c in candidate_ids])


def ticket_at(block: bytes, row: int) -> int:
    """The full 256-bit ticket of the candidate at ``row`` of a digest block."""
    return int.from_bytes(block[DIGEST_BYTES * row : DIGEST_BYTES * (row + 1)], "big")


def ticket(seed: int, candidate_id: str) -> int:
    """The candidate's full 256-bit ticket (lower is luckier)."""
    return ticket_at(digests(seed, [candidate_id]), 0)


def lottery_number(full_ticket: int, level: int = 0) -> int:
    """Bits ``[31*level, 31*level + 31)`` of the ticket, counted from the top."""
    shift = 256 - SLICE_BITS * (level + 1)
    return (full_ticket >> shift) & ((1 << SLICE_BITS) - 1)
