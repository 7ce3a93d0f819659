"""Publication: every public file of select and lottery ties nobody to a sensitive value, names
no nominee who was not selected, and the published lottery can be checked from its public files
alone.

The fixture is a convener's export, not a tidy table: its own headers (``Full name``,
``Organisation``, ``Disability``), aliases, blank disability cells, countries by name with the
UN region derived from them, and one-per-country and one-per-organisation caps, so that a
profile is one person. Every check runs on the internal variant too and must find something
there: a check that cannot fail would pass both.

Names and organisations use letters that are not hex digits, so they cannot turn up by chance
inside a SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

import balancer
from balancer.cli import app

SENSITIVE = "disability"
ROWS = [
    # ID, Full name, Organisation, Country, Gender, Disability
    ("kz01", "Quill Oxley", "Quorvix Trust", "Kenya", "F", "yes"),
    ("kz02", "Rhys Yarrow", "Yolm Works", "Nigeria", "male", ""),
    ("kz03", "Silas Quorn", "Sprylo Union", "India", "M", "no"),
    ("kz04", "Tova Wren", "Twix Guild", "Japan", "woman", "no"),
    ("kz05", "Una Vosk", "Umbro Looms", "Brazil", "Female", "yes"),
    ("kz06", "Vera Quint", "Umbro Looms", "Mexico", "woman", "no"),
    ("kz07", "Wynn Zorro", "Wyrm Ports", "Germany", "woman", "no"),
    ("kz08", "Xeno Pike", "Xylo Mint", "France", "man", ""),
    ("kz09", "Yuri Knox", "Yonk Mills", "Poland", "man", "no"),
    ("kz10", "Zora Mull", "Xylo Mint", "Ghana", "woman", "no"),
    ("kz11", "Ilse Tromp", "Ivory Pylon", "Chile", "man", "no"),
    ("kz12", "Hugo Vint", "Ivory Pylon", "India", "woman", "no"),
    ("kz13", "Gwyn Lorr", "Glyph Moss", "Fiji", "man", "no"),
    ("kz14", "Otto Snyr", "Glyph Moss", "Germany", "woman", "no"),
]
NAMES = {r[0]: r[1] for r in ROWS}
ORGS = {r[0]: r[2] for r in ROWS}
SPEC: dict[str, Any] = {
    "name": "Publish test board",
    "board_size": 5,
    "pool": "pool.csv",
    "id_column": "ID",
    "columns": {
        "Full name": "name",
        "Organisation": "organisation",
        "Country": "country",
        "Gender": "gender",
        "Disability": SENSITIVE,
    },
    "aliases": {"gender": {"F": "woman", "Female": "woman", "M": "man", "male": "man"}},
    "missing": {SENSITIVE: "unknown"},
    "derive": {"un_region": "country"},
    "quotas": {SENSITIVE: {"yes": {"min": 1}}},
    "caps": {"country": 1, "organisation": 1},
    "targets": {"gender": "equal", "un_region": "equal"},
    "sensitive": [SENSITIVE],
    "seed": 7,
}
SEED_TEXT = "Lotto 2026-12-05: 4 11 19 27 38 45"


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="balancer")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def inputs(folder: Path, spec: dict[str, Any] = SPEC) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        ROWS, columns=["ID", "Full name", "Organisation", "Country", "Gender", "Disability"]
    ).to_csv(folder / "pool.csv", index=False)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return folder / "scenario.yaml"


def texts(folder: Path) -> dict[str, str]:
    """Every file directly in ``folder`` (not in sub-folders), by name."""
    return {p.name: p.read_text("utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


def json_records(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from json_records(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_records(value)


def pieces(name: str, text: str) -> list[str]:
    """One statement per piece: a line of Markdown or CSV, a row/item/paragraph of HTML, a JSON
    object (serialised without its children's siblings)."""
    if name.endswith(".html"):
        return re.split(r"<(?:tr|li|p|dd|dt|h\d|summary)\b", text)
    if name.endswith(".json"):
        return [
            json.dumps({k: v for k, v in r.items() if not isinstance(v, dict | list)})
            + json.dumps([k for k, v in r.items() if isinstance(v, dict)])
            + json.dumps(
                [
                    v
                    for v in r.values()
                    if isinstance(v, list) and all(isinstance(x, str) for x in v)
                ]
            )
            for r in json_records(json.loads(text))
        ]
    return text.splitlines()


def leaks(files: dict[str, str], members: set[str]) -> list[str]:
    """Everything in the files that names an unselected nominee or ties a person to the
    sensitive column."""
    found: list[str] = []
    held = {ORGS[m] for m in members}
    for cid in NAMES:
        if cid in members:
            continue
        for file, text in files.items():
            if NAMES[cid] in text:
                found.append(f"{file} names {NAMES[cid]} ({cid}), not selected")
            if ORGS[cid] not in held and ORGS[cid] in text:
                found.append(f"{file} names {ORGS[cid]}, the organisation of {cid}")
    for file, text in files.items():
        # A profile string ("country=Kenya; disability=yes; ..."), not a rule id
        # ("quota:disability=yes:min", which names a rule, not a person).
        if re.search(rf"(?<![:\w]){SENSITIVE}\s*=", text):
            found.append(f"{file} has a profile string with {SENSITIVE}")
        if file.endswith(".csv"):
            header = text.splitlines()[0] if text else ""
            if SENSITIVE in header.lower():
                found.append(f"{file} has a {SENSITIVE} column")
        for piece in pieces(file, text):
            if SENSITIVE in piece.lower() and re.search(r"\bkz\d\d\b", piece):
                found.append(f"{file}: per person: {piece.strip()[:140]}")
    return found


@pytest.fixture(scope="module")
def selected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    folder = tmp_path_factory.mktemp("select")
    scenario = inputs(folder)
    out = folder / "out"
    # --why-not names a nominee who is not selected (kz13): the public command line must not.
    args = ["select", str(scenario), "--out", str(out), "--workers", "1", "--why-not", "kz13"]
    with patch.object(sys, "argv", ["balancer", *args]):  # the command line the files record
        made = invoke(*args)
    assert made.exit_code == 0, made.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    return out, set(report["roster"])


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    folder = tmp_path_factory.mktemp("lottery")
    scenario = inputs(folder)
    out = folder / "out"
    made = invoke(
        "lottery", scenario, "--out", out, "--boards", "50", "--workers", "1",
        "--seed-text", SEED_TEXT,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    (commitment,) = re.findall(r"\b[0-9a-f]{64}\b", made.stdout)
    (line,) = [x for x in made.stdout.splitlines() if x.startswith("Board ")]
    members = line.split(": ", 1)[1].split(", ")
    return out, commitment, members


def test_select_public_files_leak_nothing(selected: tuple[Path, set[str]]) -> None:
    out, members = selected
    public = texts(out / "public")
    assert {"report.json", "report.md", "report.html", "roster.csv"} <= set(public)
    assert leaks(public, members) == []
    assert "kz13" not in json.loads(public["report.json"])["provenance"]["command"]
    # No normalisation record (raw cells and their counts) in any public file.
    assert "normalisation.csv" not in public
    assert not any("How the pool was read" in text for text in public.values())
    assert json.loads(public["report.json"])["normalisation"] == []


def test_select_internal_files_do_leak(selected: tuple[Path, set[str]]) -> None:
    """The same checks find the organisations, the column and the command in the full files."""
    out, members = selected
    found = leaks(texts(out), members)
    assert any("has a disability column" in f for f in found), found
    assert any("the organisation of" in f for f in found), found
    command = json.loads((out / "report.json").read_text("utf-8"))["provenance"]["command"]
    assert "--why-not kz13" in command
    internal = texts(out)
    assert "normalisation.csv" in internal and "How the pool was read" in internal["report.md"]


def test_lottery_public_files_leak_nothing(drawn: tuple[Path, str, list[str]]) -> None:
    out, _, members = drawn
    public = texts(out / "public")
    assert {"boards.csv", "probabilities.csv", "lottery.json", "lottery.md", "lottery.html"} <= set(
        public
    )
    assert "profiles.csv" not in public
    assert leaks(public, set(members)) == []
    assert "**PUBLIC**" in public["lottery.md"] and ">PUBLIC<" in public["lottery.html"]
    assert ", ".join(members) in public["lottery.md"]


def test_lottery_page_minimum_is_over_eligible_candidates(
    drawn: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    """kz13 excluded: the headline minimum leaves them out and lists them apart."""
    folder = tmp_path / "in"
    scenario = inputs(folder, {**SPEC, "exclude": ["kz13"]})
    out = tmp_path / "out"
    made = invoke("lottery", scenario, "--out", out, "--boards", "20", "--workers", "1")
    assert made.exit_code == 0, made.output
    record = json.loads((out / "lottery.json").read_text("utf-8"))
    assert record["exact"]["minimum"] == 0  # over everyone, the excluded included
    probabilities = pd.read_csv(out / "probabilities.csv", dtype=str, keep_default_na=False)
    eligible = probabilities[probabilities["id"] != "kz13"]["probability"].astype(float)
    internal = (out / "lottery.md").read_text("utf-8")
    assert f"| Smallest selection probability | {eligible.min():.4f}".rstrip("0") in internal
    assert "kz13: excluded by the scenario" in internal
    public = (out / "public" / "lottery.md").read_text("utf-8")
    assert "1 excluded by the scenario" in public and "kz13" not in public


def test_lottery_internal_files_do_leak(drawn: tuple[Path, str, list[str]]) -> None:
    out, _, members = drawn
    found = leaks(texts(out), set(members))
    assert any("profile string with disability" in f for f in found), found
    assert any("the organisation of" in f for f in found), found


def test_lottery_verifies_from_public_files_alone(
    drawn: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    """A fresh folder holding only the public files (no pool, no scenario) re-derives the board;
    a list swapped together with its digest in lottery.json fails the commitment."""
    out, commitment, members = drawn
    fresh = tmp_path / "published"
    shutil.copytree(out / "public", fresh)
    checked = invoke("verify", fresh, "--seed-text", SEED_TEXT, "--boards-sha256", commitment)
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip().endswith(", ".join(members))
    assert not any(SENSITIVE in p.read_text("utf-8").lower() for p in fresh.iterdir())
    # Swap two boards and recompute the digest in lottery.json: the files agree again.
    boards = (fresh / "boards.csv").read_text("utf-8").splitlines()
    first = boards[1].split(",", 1)
    other = next(j for j in range(2, len(boards)) if boards[j].split(",", 1)[1] != first[1])
    second = boards[other].split(",", 1)
    boards[1], boards[other] = f"{first[0]},{second[1]}", f"{second[0]},{first[1]}"
    forged = "\n".join(boards) + "\n"
    (fresh / "boards.csv").write_text(forged, encoding="utf-8")
    record = json.loads((fresh / "lottery.json").read_text("utf-8"))
    record["boards_sha256"] = hashlib.sha256(forged.encode()).hexdigest()
    (fresh / "lottery.json").write_text(json.dumps(record), encoding="utf-8")
    assert invoke("verify", fresh, "--seed-text", SEED_TEXT).exit_code == 0  # no commitment
    caught = invoke("verify", fresh, "--seed-text", SEED_TEXT, "--boards-sha256", commitment)
    assert caught.exit_code == 3
    assert "committed" in caught.stderr


def test_sensitive_column_typo_is_refused(tmp_path: Path) -> None:
    scenario = inputs(tmp_path, {**SPEC, "sensitive": ["disabilty"]})
    result = invoke("select", scenario, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "sensitive[0]" in result.stderr and "did you mean 'disability'?" in result.stderr
    assert not (tmp_path / "out").exists()


def test_public_command_line_names_no_candidate() -> None:
    from balancer.selection.public import public_command

    said = "balancer select s.yaml --why-not kz04 --why-not=kz05 --drop 'kz 06' --workers 1"
    assert public_command(said) == "balancer select s.yaml --workers 1"


# ---------------------------------------------------------------------------------------------
# Criteria fixed in advance, the board checked against them
# ---------------------------------------------------------------------------------------------


def test_canonical_form_ignores_layout_but_not_rules() -> None:
    from balancer.io.files import parse_scenario_text
    from balancer.spec.criteria import criteria_sha256

    base = criteria_sha256(parse_scenario_text(yaml.safe_dump(SPEC)))
    relaid = (
        "# a comment\n"
        + yaml.safe_dump({**SPEC, "sensitive": ["disability"]}, sort_keys=True, indent=4)
        + "\n\n"
    )
    assert criteria_sha256(parse_scenario_text(relaid)) == base
    moved = {**SPEC, "pool": "elsewhere/pool.csv"}  # where the file lies is not a criterion
    assert criteria_sha256(parse_scenario_text(yaml.safe_dump(moved))) == base
    for changed in (
        {**SPEC, "caps": {"country": 2, "organisation": 1}},
        {**SPEC, "quotas": {SENSITIVE: {"yes": {"min": 2}}}},
        {**SPEC, "seed": 8},
        {**SPEC, "targets": {"gender": "pool", "un_region": "equal"}},
    ):
        assert criteria_sha256(parse_scenario_text(yaml.safe_dump(changed))) != base


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Criteria posted, call closed, board selected with a seed text and published."""
    folder = tmp_path_factory.mktemp("committed")
    spec = {**SPEC, "seed_source": "the Lotto numbers of 5 December 2026", "about": "A & B <x>"}
    scenario = inputs(folder, spec)
    before = invoke("criteria", scenario, "--out", folder / "criteria")
    assert before.exit_code == 0, before.output
    closed = invoke("criteria", scenario, "--out", folder / "closed", "--pool")
    assert closed.exit_code == 0, closed.output
    made = invoke(
        "select", scenario, "--out", folder / "out", "--workers", "1", "--seed-text", SEED_TEXT
    )
    assert made.exit_code == 0, made.output
    published = folder / "published"  # what a reader has: no pool, no internal files
    shutil.copytree(folder / "out" / "public", published / "board")
    shutil.copytree(folder / "closed", published / "criteria")
    return {"scenario": scenario, "published": published, "folder": folder}


def test_criteria_page_says_every_rule_and_the_commitment(committed: dict[str, Path]) -> None:
    from balancer.io.files import load_scenario
    from balancer.spec.criteria import criteria_sha256

    folder = committed["published"] / "criteria"
    digest = criteria_sha256(load_scenario(committed["scenario"]).scenario)
    assert hashlib.sha256((folder / "criteria.json").read_bytes()).hexdigest() == digest
    commitment = json.loads((folder / "commitment.json").read_text("utf-8"))
    assert commitment["criteria_sha256"] == digest
    pool = committed["folder"] / "pool.csv"
    assert commitment["pool_sha256"] == hashlib.sha256(pool.read_bytes()).hexdigest()
    markdown = (folder / "criteria.md").read_text("utf-8")
    for said in (
        "The board has exactly 5 members.",
        "At least 1 seat for members whose disability is yes.",
        "At most 1 member may share one organisation",
        "gender: an equal share",
        "the Lotto numbers of 5 December 2026",
        "**PUBLIC**",
        "A \\& B \\<x\\>",  # escaped as Markdown, not as HTML
    ):
        assert said in markdown, said
    assert "&amp;" not in markdown and "&lt;" not in markdown
    html = (folder / "criteria.html").read_text("utf-8")
    assert "PUBLIC" in html and digest in html and "A &amp; B &lt;x&gt;" in html
    # Every report cites the commitment it was selected under.
    report = json.loads((committed["published"] / "board" / "report.json").read_text("utf-8"))
    assert report["commitment"]["criteria_sha256"] == digest
    assert report["commitment"]["seed_text"] == SEED_TEXT
    assert digest in (committed["published"] / "board" / "report.html").read_text("utf-8")


def _verify_board(committed: dict[str, Path], scenario: Path, seed_text: str) -> Result:
    published = committed["published"]
    return invoke(
        "verify-board", published / "board", "--scenario", scenario, "--seed-text", seed_text,
        "--commitment", published / "criteria" / "commitment.json",
    )  # fmt: skip


def test_verify_board_rederives_the_published_board(committed: dict[str, Path]) -> None:
    checked = _verify_board(committed, committed["scenario"], SEED_TEXT)
    assert checked.exit_code == 0, checked.output
    assert "checks out" in checked.stdout


def test_verify_board_detects_a_changed_seed_text(committed: dict[str, Path]) -> None:
    caught = _verify_board(committed, committed["scenario"], SEED_TEXT + " ")
    assert caught.exit_code == 3
    assert "seed" in caught.stderr


def test_verify_board_detects_a_changed_rule(committed: dict[str, Path], tmp_path: Path) -> None:
    spec = yaml.safe_load(committed["scenario"].read_text("utf-8"))
    spec["caps"]["country"] = 2
    scenario = inputs(tmp_path, spec)
    caught = _verify_board(committed, scenario, SEED_TEXT)
    assert caught.exit_code == 3
    assert "criteria differ" in caught.stderr


def test_verify_board_detects_a_changed_pool(committed: dict[str, Path], tmp_path: Path) -> None:
    spec = yaml.safe_load(committed["scenario"].read_text("utf-8"))
    scenario = inputs(tmp_path, spec)
    pool = pd.read_csv(tmp_path / "pool.csv", dtype=str, keep_default_na=False)
    pool.loc[pool["ID"] == "kz03", "Disability"] = "yes"  # one cell changed after the close
    pool.to_csv(tmp_path / "pool.csv", index=False)
    caught = _verify_board(committed, scenario, SEED_TEXT)
    assert caught.exit_code == 3
    assert "pool differs" in caught.stderr


# ---------------------------------------------------------------------------------------------
# The pages: marked PUBLIC or INTERNAL, caps folded, rendered in a real browser
# ---------------------------------------------------------------------------------------------


def _criteria_table(html: str) -> str:
    return html.split('<table class="criteria">', 1)[1].split("</table>", 1)[0]


def test_pages_say_public_or_internal_and_fold_caps(selected: tuple[Path, set[str]]) -> None:
    out, members = selected
    internal = (out / "report.html").read_text("utf-8")
    public = (out / "public" / "report.html").read_text("utf-8")
    assert ">INTERNAL<" in internal and ">PUBLIC<" not in internal
    assert ">PUBLIC<" in public and ">INTERNAL<" not in public
    assert (out / "report.md").read_text("utf-8").count("**INTERNAL**") == 1
    assert (out / "public" / "report.md").read_text("utf-8").count("**PUBLIC**") == 1
    report = json.loads((out / "report.json").read_text("utf-8"))
    caps = [r for r in report["constraints"] if r["kind"] == "cap"]
    others = [r for r in report["constraints"] if r["kind"] != "cap"]
    assert len({r["column"] for r in caps}) == 2 and len(caps) > 2
    for html in (internal, public):
        table = _criteria_table(html)
        # One row per rule that is not a cap, one per capped column: not one per value.
        assert table.count("<tr") == 1 + len(others) + 2
        assert table.count('<details class="family">') >= 1
        assert "How this board was chosen" in html
    # The values at the cap are members' values; the public table names no other.
    held = {ORGS[m] for m in members}
    for org in set(ORGS.values()) - held:
        assert org not in _criteria_table(public)
    internal_json = (out / "report.json").read_text("utf-8")
    assert any(org in internal_json for org in set(ORGS.values()) - held)


def _browser(page: Path, tmp_path: Path) -> str:
    """The page as Chromium renders it (its DOM), after checking a screenshot is not blank."""
    from tests.test_html import CHROMIUM_FLAGS, _png_facts

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: run the set-up (apt-get install chromium)")
    profile = f"--user-data-dir={tmp_path / 'profile'}"
    shot = tmp_path / f"{page.stem}.png"
    flags = [chromium, *CHROMIUM_FLAGS, profile]
    run = subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    assert _png_facts(shot)[2] > 32, "the screenshot is (nearly) one colour"
    dom = subprocess.run(
        [*flags, "--dump-dom", page.as_uri()], capture_output=True, timeout=120, check=False
    )
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    return dom.stdout.decode()


@pytest.mark.slow
def test_pages_render_in_chromium(
    committed: dict[str, Path],
    selected: tuple[Path, set[str]],
    drawn: tuple[Path, str, list[str]],
    tmp_path: Path,
) -> None:
    lottery = _browser(drawn[0] / "public" / "lottery.html", tmp_path)
    assert "PUBLIC" in lottery and "Smallest probability (eligible)" in lottery
    criteria = _browser(committed["published"] / "criteria" / "criteria.html", tmp_path)
    assert "PUBLIC" in criteria and "The board has exactly 5 members." in criteria
    public = _browser(selected[0] / "public" / "report.html", tmp_path)
    assert "PUBLIC" in public and "<details" in public
    internal = _browser(selected[0] / "report.html", tmp_path)
    assert "INTERNAL" in internal


def test_internal_variant_names_next_to_ids(selected: tuple[Path, set[str]]) -> None:
    out, _ = selected
    internal = (out / "report.md").read_text("utf-8")
    assert f"kz13 ({NAMES['kz13']})" in internal  # the why-not answer, with the name
    assert NAMES["kz13"] not in (out / "public" / "report.md").read_text("utf-8")


def test_lottery_page_shows_a_draw_by_number(tmp_path: Path) -> None:
    scenario = inputs(tmp_path / "in")
    out = tmp_path / "out"
    made = invoke(
        "lottery", scenario, "--out", out, "--boards", "20", "--workers", "1", "--draw", "3"
    )
    assert made.exit_code == 0, made.output
    (line,) = [x for x in made.stdout.splitlines() if x.startswith("Board 3: ")]
    page = (out / "public" / "lottery.md").read_text("utf-8")
    assert "Board 3 of 20 was drawn. Members: " + line.split(": ", 1)[1] in page


def test_public_diagnosis_names_no_capped_value(tmp_path: Path) -> None:
    """No board: every organisation a cap names is a nominee's; the public variant says the
    cap's kind and limit, the internal one the organisation (so the check can fail)."""
    rows = ["id,organisation,gender"] + [
        f"p{i},Acme Lobbying Ltd,{'woman' if i % 2 else 'man'}" for i in range(4)
    ]
    (tmp_path / "pool.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "board_size: 2\npool: pool.csv\ncaps: {organisation: 1}\n"
        "quotas:\n  gender:\n    woman: {min: 1}\n",
        encoding="utf-8",
    )
    result = balancer.select(tmp_path / "s.yaml")
    assert result.status == "infeasible"
    internal = "".join(result.files(public=False)[n] for n in ("report.json", "report.md"))
    assert "Acme Lobbying Ltd" in internal
    public = result.files(public=True)
    for name in ("report.json", "report.md", "report.html"):
        assert "Acme Lobbying Ltd" not in public[name], name
    assert "may share one organisation" in public["report.md"]
