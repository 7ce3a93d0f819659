"""``balancer criteria`` and ``balancer verify-board``: criteria fixed in advance, checked after.

``criteria`` turns a scenario into the page a convener posts before the call closes, with the
commitment (the SHA-256 of the scenario's canonical form; with ``--pool``, once the call has
closed, the pool's too). ``verify-board`` checks a published board against them: the same
criteria, the same pool, the seed the public text gives, and the same board member for member.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from balancer.cli.shell import (
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    ScenarioArgument,
    ScenarioOption,
    Workers,
    app,
    err,
    out,
)

COMMITMENT_FILE = "commitment.json"
CRITERIA_FILE = "criteria.json"


@app.command()
def criteria(
    scenario: ScenarioArgument,
    out_dir: Annotated[
        Path, typer.Option("--out", metavar="FOLDER", help="Folder for the page.")
    ] = Path("criteria"),
    pool: Annotated[
        bool,
        typer.Option(
            "--pool",
            help="The call has closed: read the scenario's pool, check it, and commit its "
            "SHA-256 too.",
        ),
    ] = False,
) -> None:
    """Write the public criteria page (HTML, Markdown) and the commitment to publish.

    Example: balancer criteria scenarios/sounding-board.yaml --out criteria/
    """
    from balancer.cli.shell import check_out
    from balancer.engine.load import prepare
    from balancer.io.files import load_scenario, write_files
    from balancer.present.criteria import criteria_page, render_criteria
    from balancer.spec.criteria import Commitment, canonical_text, criteria_sha256

    check_out(out_dir, "criteria", [scenario])
    file = load_scenario(scenario)
    pool_sha256 = prepare(file)[0].pool.sha256 if pool else None
    spec = file.scenario
    commitment = Commitment(
        criteria_sha256=criteria_sha256(spec),
        pool_sha256=pool_sha256,
        seed_source=spec.seed_source,
        seed=None if spec.seed_source else spec.seed,
    )
    files = render_criteria(criteria_page(spec, commitment))
    files[CRITERIA_FILE] = canonical_text(spec)
    files[COMMITMENT_FILE] = commitment.model_dump_json(indent=2) + "\n"
    written = write_files(out_dir, files)
    out.print(f"Criteria SHA-256: {commitment.criteria_sha256}", markup=False)
    if pool_sha256:
        out.print(f"Pool SHA-256:     {pool_sha256}", markup=False)
    out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)


@app.command("verify-board")
def verify_board(
    folder: Annotated[
        Path,
        typer.Argument(metavar="FOLDER", help="Folder of the published report (report.json)."),
    ],
    scenario: ScenarioOption,
    seed_text: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="The public seed text (when the seed was fixed by one)."),
    ] = None,
    commitment: Annotated[
        Path | None,
        typer.Option(
            metavar="commitment.json", help="The commitment.json published before the call closed."
        ),
    ] = None,
    workers: Workers = None,
) -> None:
    """Select the board again and check it is the published one (exit 3 when it is not).

    Example: balancer verify-board out/public --scenario S.yaml --commitment commitment.json
    """
    from balancer.selection.report import Report
    from balancer.selection.run import select
    from balancer.spec.criteria import Commitment

    try:
        report = Report.model_validate_json((folder / "report.json").read_text("utf-8"))
        promised = (
            Commitment.model_validate_json(commitment.read_text("utf-8"))
            if commitment is not None
            else None
        )
    except (OSError, ValueError) as error:
        err.print(f"error: cannot read the published files: {error}", markup=False)
        raise typer.Exit(EXIT_INPUT) from None
    cited = report.commitment
    if cited is None:
        err.print(
            f"error: {folder / 'report.json'} cites no commitment; select the board again with "
            "this balancer (reports written before criteria commitments existed cannot be checked)",
            markup=False,
        )
        raise typer.Exit(EXIT_INPUT)
    result = select(scenario, workers=workers or 1, explain_board=False, seed_text=seed_text)
    found = result.report.commitment
    assert found is not None
    problems: list[str] = []
    for source, said in (("commitment.json", promised), ("report.json", cited)):
        if said is None:
            continue
        if said.criteria_sha256 != found.criteria_sha256:
            problems.append(
                f"the criteria differ from those {source} commits to (a rule, target, weight or "
                f"seed changed): {found.criteria_sha256} vs {said.criteria_sha256}"
            )
        if said.pool_sha256 is not None and said.pool_sha256 != found.pool_sha256:
            problems.append(
                f"the pool differs from the one {source} commits to: "
                f"{found.pool_sha256} vs {said.pool_sha256}"
            )
    if cited.seed is not None and found.seed != cited.seed:
        what = "the seed text" if seed_text is not None else "the scenario's seed"
        problems.append(f"{what} does not give the seed the board was drawn with")
    if seed_text is not None and cited.seed_text not in (None, seed_text):
        problems.append(f"the report names another seed text: {cited.seed_text!r}")
    if result.report.roster != report.roster:
        gone = sorted(set(report.roster) - set(result.report.roster))
        new = sorted(set(result.report.roster) - set(report.roster))
        problems.append(
            "the board these inputs give is not the published one"
            + (f": published but not re-derived {', '.join(gone)}" if gone else "")
            + (f"; re-derived but not published {', '.join(new)}" if new else "")
        )
    if problems:
        for problem in problems:
            err.print(f"mismatch: {problem}", markup=False)
        raise typer.Exit(EXIT_INFEASIBLE)
    out.print(
        f"The board checks out: criteria {found.criteria_sha256[:16]}..., pool "
        f"{found.pool_sha256 and found.pool_sha256[:16]}..., seed from "
        f"{'the seed text' if seed_text is not None else 'the scenario'}; "
        f"members {', '.join(report.roster)}.",
        markup=False,
    )
