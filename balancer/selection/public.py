"""The public variant of a report: what a convener can publish without exposing anyone.

Sensitive columns (``sensitive:`` in the scenario, disability by default) are personal data.
The public report keeps every aggregate (counts per value, gaps, which rules bind) and drops
everything that ties a sensitive value, or a non-selection, to a person:

- candidates who were not selected are never named (no why-not answers, no "would come in",
  no roster of a hypothetical relaxed board);
- a rule on a sensitive column does not say which member would leave without it;
- when a member is required by a rule on a sensitive column, no required member's reason
  names a rule ("no board meeting every criterion exists without them"), so the ones a
  sensitive rule holds look like the ones a public rule holds;
- the recorded command line names no candidate (``--why-not``, ``--drop`` and their ids are
  left out);
- candidates the scenario excludes, or includes but who are not on a board (when no board
  is possible), are not named: their rules become "exclude:1", "include:1", ... with a
  sentence that names no one.
"""

from __future__ import annotations

import shlex
from typing import Any

from balancer.selection.report import Report

_NAMED = {
    "exclude": (
        "excluded candidate {n}",
        "Excluded candidate {n} (named in the scenario) may not be on the board",
    ),
    "include": (
        "included candidate {n}",
        "Included candidate {n} (named in the scenario) must be on the board",
    ),
}


def _anonymise_named(report: Report) -> Report:
    """Rename the rules about named people who are not on the board, and their sentences."""
    renames: dict[str, str] = {}
    sentences: dict[str, str] = {}
    members = set(report.roster)
    for kind, (person, sentence) in _NAMED.items():
        named = [r for r in report.constraints if r.kind == kind and r.value not in members]
        for number, rule in enumerate(named, 1):
            renames[rule.id] = f"{kind}:{number}"
            sentences[rule.description.rstrip(".")] = sentence.format(n=number)
            if rule.value is not None:
                renames[rule.value] = person.format(n=number)

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, str):
            if value in renames:
                return renames[value]
            for said, anonymous in sentences.items():
                value = value.replace(said, anonymous)
        return value

    if not renames:
        return report
    return Report.model_validate(clean(report.model_dump()))


CANDIDATE_OPTIONS = ("--why-not", "--drop")
"""Options whose values are candidate ids: a public command line leaves them out."""


def public_command(command: str | None) -> str | None:
    """The command line without the options that name candidates (and their values)."""
    if command is None:
        return None
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: say nothing rather than something half-cleaned
        return None
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in CANDIDATE_OPTIONS:
            skip = True
            continue
        if word.startswith(tuple(f"{o}=" for o in CANDIDATE_OPTIONS)):
            continue
        kept.append(word)
    return " ".join(shlex.quote(w) for w in kept)


def _hide_unheld_caps(report: Report) -> None:
    """Drop the cap rules of values no member has, keeping only their number per column.

    A cap on organisation or country has one rule per value in the pool, so its rules name
    every nominee's organisation; the values members have are public with the members.
    """
    unheld = {r.id for r in report.constraints if r.kind == "cap" and not r.achieved}
    if not unheld:
        return
    for rule in report.constraints:
        if rule.id in unheld:
            column = rule.column or ""
            report.unnamed_caps[column] = report.unnamed_caps.get(column, 0) + 1
    _unname_in_diagnosis(report, unheld)
    report.constraints = [r for r in report.constraints if r.id not in unheld]
    if report.explanation is not None:
        report.explanation.rules = [r for r in report.explanation.rules if r.id not in unheld]
        report.explanation.recruitment = [
            a for a in report.explanation.recruitment if a.rule not in unheld
        ]


def _unname_in_diagnosis(report: Report, unheld: set[str]) -> None:
    """Conflicts and the smallest fix say a cap's column, not the value no member holds.

    With no board, every value a cap names is a nominee's organisation or country: the
    public diagnosis keeps the rule's kind and limit and drops the value.
    """
    diagnosis = report.diagnosis
    if diagnosis is None:
        return
    said: dict[str, tuple[str, str, str]] = {}  # rule id -> (public id, sentence, public one)
    for rule in report.constraints:
        if rule.id in unheld:
            column = rule.column or ""
            said[rule.id] = (
                f"cap:{column}",
                rule.description,
                f"At most {rule.max} member(s) may share one {column} (the value is named in "
                "the internal report only).",
            )

    def unnamed(text: str) -> str:
        for _, description, public_sentence in said.values():
            text = text.replace(description.rstrip("."), public_sentence.rstrip("."))
        return text

    for conflict in diagnosis.conflicts:
        conflict.rules = [said[r][0] if r in said else r for r in conflict.rules]
        conflict.sentences = [unnamed(s) for s in conflict.sentences]
        conflict.summary = unnamed(conflict.summary)
    if diagnosis.relaxation is not None:
        diagnosis.relaxation.sentence = unnamed(diagnosis.relaxation.sentence)
        for move in diagnosis.relaxation.moves:
            if move.rule in said:
                move.rule, _, move.description = said[move.rule]
            move.sentence = unnamed(move.sentence)


def _keep_said_labels(public: Report) -> None:
    """Value labels only for values the public report still names.

    A label for an organisation no member has (``labels: {organisation: {values: ...}}``)
    would name it in the public JSON, as the cap rows left out above would have.
    """
    named: set[tuple[str, str | None]] = {(row.column, row.value) for row in public.composition}
    named |= {(rule.column, rule.value) for rule in public.constraints if rule.column}
    public.labels = {
        column: entry.model_copy(
            update={"values": {v: w for v, w in entry.values.items() if (column, v) in named}}
        )
        for column, entry in public.labels.items()
    }


def redact(report: Report) -> Report:
    """A deep copy of ``report`` that is safe to publish."""
    public = report.model_copy(deep=True)
    public.public = True
    # Alternative boards and alternates name candidates who were not selected.
    public.alternatives = None
    public.alternates = None
    confidential = {rule.id for rule in public.constraints if rule.confidential}
    if public.explanation is not None:
        public.explanation.why_not = []
        for rule in public.explanation.rules:
            for change in (rule.relaxed, rule.dropped):
                if change is None:
                    continue
                change.comes_in = []
                if rule.id in confidential:
                    change.goes_out = []
        hidden = [
            m
            for m in public.explanation.members
            if m.confidential or set(m.forced_by) & confidential
        ]
        for member in hidden:
            member.confidential = True
        if hidden:
            # "A confidential criterion requires them" next to "the pool has one such
            # candidate" says who has the sensitive value. Say less: when any member is held by
            # a sensitive rule, no required member's reason names a rule, so a reader cannot
            # tell the sensitive ones from those a public rule holds.
            for member in public.explanation.members:
                included = all(rule.startswith("include:") for rule in member.forced_by)
                if member.reason == "required" and not (member.forced_by and included):
                    member.forced_by = []
                    member.sentence = (
                        f"No board meeting every criterion exists without {member.id}."
                    )
    public.provenance.command = public_command(public.provenance.command)
    # Warnings quote raw cells and spreadsheet rows (who left disability blank): internal.
    public.warnings_withheld = len(public.warnings)
    public.warnings = []
    public.normalisation = []  # raw cells and their counts: internal (normalisation.csv)
    _hide_unheld_caps(public)
    _keep_said_labels(public)
    if public.diagnosis is not None and public.diagnosis.relaxation is not None:
        public.diagnosis.relaxation.roster = []
    return _anonymise_named(public)
