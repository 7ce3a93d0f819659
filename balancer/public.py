"""The public variant of a report: what a convener can publish without exposing anyone.

Sensitive columns (``sensitive:`` in the scenario, disability by default) are personal data.
The public report keeps every aggregate (counts per value, gaps, which rules bind) and drops
everything that ties a sensitive value, or a non-selection, to a person:

- candidates who were not selected are never named (no why-not answers, no "would come in",
  no roster of a hypothetical relaxed board);
- a rule on a sensitive column does not say which member would leave without it;
- a member who is required by a rule on a sensitive column is said to be required by "a
  confidential criterion", without naming the rule.
"""

from __future__ import annotations

from balancer.report import Report


def redact(report: Report) -> Report:
    """A deep copy of ``report`` that is safe to publish."""
    public = report.model_copy(deep=True)
    public.public = True
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
    return public
