"""``balancer schema``: the JSON schema of ``report.json``."""

from __future__ import annotations

import json

from balancer.cli.shell import app, out


@app.command()
def schema() -> None:
    """Print the JSON schema of report.json.

    Example: balancer schema > report.schema.json
    """
    from balancer.selection.report import Report

    out.print_json(json.dumps(Report.model_json_schema()))
