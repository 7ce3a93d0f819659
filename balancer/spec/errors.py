"""balancer's errors: one base class with a stable code and parameters, and input problems.

Every error balancer raises on purpose is a :class:`BalancerError`: its ``code`` is a stable
word a program can test (``input``, ``infeasible``, ``tampered``, ``solver``), its
``parameters`` the values that describe this occurrence, and its message the sentence for a
person. The CLI maps the code to an exit status in one table (:mod:`balancer.cli.shell`).

A convener fixing a spreadsheet wants the whole list in one go, not one error per run, so
readers collect :class:`Problem` objects and raise a single :class:`InputError` at the end.
The CLI turns that into one line per problem and exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where it is, what is wrong, and how to fix it."""

    file: str
    where: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        location = f"{self.file}: {self.where}: " if self.where else f"{self.file}: "
        fix = f"; {self.fix}" if self.fix else ""
        return f"{location}{self.message}{fix}"


class BalancerError(Exception):
    """Base of every error balancer raises on purpose: a stable code, parameters, a sentence."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, **parameters: Any) -> None:
        super().__init__(message)
        self.message = message
        self.parameters: dict[str, Any] = parameters

    def as_dict(self) -> dict[str, Any]:
        """The error as data (for ``--json`` and logs): code, message and parameters."""
        return {"code": self.code, "message": self.message, "parameters": self.parameters}


class InputError(BalancerError):
    """Raised with every problem found in the inputs; nothing has been written when it is."""

    code = "input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "\n".join(str(p) for p in self.problems),
            problems=[
                {"file": p.file, "where": p.where, "message": p.message, "fix": p.fix}
                for p in self.problems
            ],
        )


class InfeasibleError(BalancerError):
    """No board meets every rule (the question has no answer, the inputs are fine)."""

    code = "infeasible"


class TamperedError(BalancerError):
    """Published files do not agree with each other: the list cannot be trusted."""

    code = "tampered"


class SolverError(BalancerError):
    """The solver ended without the answer it must give (not a time limit: a failure)."""

    code = "solver"


def did_you_mean(word: str, choices: Iterable[str], *, what: str = "") -> str:
    """A short suggestion for a misspelt key, column or value, or a list of what exists."""
    options = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if close:
        return f"did you mean '{close[0]}'?"
    if not options:
        return ""
    shown = ", ".join(f"'{o}'" for o in options[:12])
    more = f" and {len(options) - 12} more" if len(options) > 12 else ""
    return f"{what or 'choose one of'}: {shown}{more}"


def looks_like_typo(word: str, choices: Iterable[str]) -> str | None:
    """The existing value that ``word`` is probably a misspelling of, if any."""
    options = [str(c) for c in choices]
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.8)
    return close[0] if close else None
