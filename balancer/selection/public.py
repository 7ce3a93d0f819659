"""The public variant of a report: what a convener can publish without exposing anyone.

Sensitive columns (``sensitive:`` in the scenario, disability by default) are personal data.
The public report keeps every aggregate (counts per value, gaps, which rules bind) and drops
everything that ties a sensitive value, or a non-selection, to a person:

- candidates who were not selected are never named (no why-not answers, no "would come in",
  no roster of a hypothetical relaxed board);
- a rule on a sensitive column does not say which member would leave without it;
- a member who is required by a rule on a sensitive column is said to be required by "a
  confidential criterion", without naming the rule;
- candidates the scenario excludes, or includes but who are not on a board (when no board
  is possible), are not named: their rules become "exclude:1", "include:1", ... with a
  sentence that names no one.
"""

from __future__ import annotations

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
        for member in public.explanation.members:
            if member.confidential or set(member.forced_by) & confidential:
                member.confidential = True
                member.forced_by = []
                member.sentence = (
                    f"No board meeting every criterion exists without {member.id}: "
                    "a confidential criterion requires them."
                )
    if public.diagnosis is not None and public.diagnosis.relaxation is not None:
        public.diagnosis.relaxation.roster = []
    return _anonymise_named(public)
