"""How the library says what it is doing while it works, without knowing who listens.

A long run (a large pool read, a solve in stages, an explanation of many rules, leximin
rounds, a sweep) calls a :class:`Progress` reporter at the start of each phase, at each step
of it and at its end. The library only calls the protocol; the CLI draws it on a terminal
(with rich), a notebook may log it, and everyone else gets :data:`SILENT`, which does
nothing. The reporter never changes what is computed: it only hears about it.

Phases are plain names (see :data:`PHASES`); a step carries how far the phase is
(``done`` of ``total``, the total ``None`` when it is not known ahead) and a short detail
for a person ("largest gap", "floor 0.1234").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

#: The phases the library reports, in the order a run meets them.
PHASES = (
    "read",
    "check",
    "feasibility",
    "solve",
    "diagnose",
    "explain",
    "leximin",
    "lottery",
    "sweep",
)


class Progress(Protocol):
    """A listener for long work: told when a phase starts, advances and ends."""

    def start(self, phase: str, total: int | None = None) -> None:
        """A phase begins; ``total`` steps are expected when known."""

    def step(self, phase: str, done: int, total: int | None = None, detail: str = "") -> None:
        """``done`` steps of the phase are finished (``total`` may grow as work is found)."""

    def end(self, phase: str) -> None:
        """The phase is over (also when it ended early or by an error)."""


class Silent:
    """The reporter nobody listens to: every call does nothing."""

    def start(self, phase: str, total: int | None = None) -> None:
        return None

    def step(self, phase: str, done: int, total: int | None = None, detail: str = "") -> None:
        return None

    def end(self, phase: str) -> None:
        return None


SILENT: Progress = Silent()


@contextmanager
def phase(progress: Progress | None, name: str, total: int | None = None) -> Iterator[Progress]:
    """Start a phase, yield the reporter, and end the phase however the block ends."""
    reporter = progress or SILENT
    reporter.start(name, total)
    try:
        yield reporter
    finally:
        reporter.end(name)
