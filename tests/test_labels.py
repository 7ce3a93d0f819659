"""``labels:`` and ``show:``: the words and member columns of every page a person reads.

Run on the messy convener fixture (its own headers, aliases, a multi-valued stakeholder column).
Pages say the labels; ids, JSON and CSV keep the pool's names. Every check that a raw name is
absent is paired with one that the unlabelled run has it, so the check can fail.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from balancer.cli import app
from balancer.io.files import load_scenario
from balancer.spec.criteria import criteria_sha256

MESSY = Path(__file__).parent / "data" / "messy"
LABELS = {
    "stakeholder_group": {
        "label": "Stakeholder group",
        "values": {"Civil Society": "Civil society", "Government": "Governments"},
    },
    "un_region": "UN region",
}
SHOW = ["stakeholder_group", "name", "country"]


def scenario(tmp_path: Path, **extra: Any) -> Path:
    """The messy fixture in ``tmp_path`` with extra keys."""
    for name in ("nominations.xlsx",):
        shutil.copy(MESSY / name, tmp_path / name)
    data = yaml.safe_load((MESSY / "messy.yaml").read_text(encoding="utf-8"))
    data.update(extra)
    path = tmp_path / "messy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(*args: str | Path, code: int = 0) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="balancer")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def prose(text: str) -> str:
    """What a person reads as words: code spans and elements (rule ids) taken out."""
    text = re.sub(r"<code>.*?</code>", "", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return text


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One labelled and one plain select run of the fixture."""
    folders = {}
    for kind, extra in (("labelled", {"labels": LABELS, "show": SHOW}), ("plain", {})):
        base = tmp_path_factory.mktemp(kind)
        out = base / "out"
        run("select", scenario(base, **extra), "--out", out, "--public", "--workers", "1")
        folders[kind] = out
    return folders


def pages(out: Path) -> dict[str, str]:
    found = {
        str(p.relative_to(out)): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("report.*"))
        if p.suffix in {".md", ".html"}
    }
    assert found
    return found


def test_pages_say_the_labels_never_the_raw_column(runs: dict[str, Path]) -> None:
    for name, text in pages(runs["labelled"]).items():
        words = prose(text)
        assert "Stakeholder group" in words, name
        assert "Civil society" in words, name
        assert "UN region" in words, name
        assert "stakeholder_group" not in words, (
            name,
            words[words.find("stakeholder_group") - 200 :][:400],
        )
        assert "un_region" not in words, name
    # The same check on the unlabelled run finds the raw names: it can fail.
    for name, text in pages(runs["plain"]).items():
        assert "stakeholder_group" in prose(text), name


def test_sentences_tables_and_charts_are_labelled(runs: dict[str, Path]) -> None:
    md = pages(runs["labelled"])["report.md"]
    html = pages(runs["labelled"])["report.html"]
    # The quota sentence (rule registry), the composition heading and row, the chart.
    assert "At most 2 seats for candidates whose Stakeholder group is Governments." in md
    assert "### Stakeholder group" in md
    assert re.search(r"^\| Civil society \|", md, flags=re.M)
    charts = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert any("Composition by Stakeholder group" in c and "Civil society" in c for c in charts)
    assert not any("stakeholder_group" in c for c in charts)


def test_json_keeps_the_pool_names(runs: dict[str, Path]) -> None:
    report = json.loads((runs["labelled"] / "report.json").read_text(encoding="utf-8"))
    ids = [r["id"] for r in report["constraints"]]
    assert "quota:stakeholder_group=Government:max" in ids
    rows = {(r["column"], r["value"]) for r in report["composition"]}
    assert ("stakeholder_group", "Civil Society") in rows
    assert report["labels"]["stakeholder_group"]["label"] == "Stakeholder group"


def test_show_sets_the_member_columns_and_their_order(runs: dict[str, Path]) -> None:
    md = pages(runs["labelled"])["report.md"]
    assert "| # | id | Stakeholder group | name | country |" in md
    roster = (runs["labelled"] / "roster.csv").read_text(encoding="utf-8").splitlines()
    assert roster[0] == "id,stakeholder_group,name,country"
    plain = (runs["plain"] / "roster.csv").read_text(encoding="utf-8").splitlines()
    assert plain[0] != roster[0]  # the default is not the order asked for


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"labels": {"stakeholder_grup": "Stakeholder group"}}, "did you mean 'stakeholder_group'"),
        ({"show": ["name", "contry"]}, "did you mean 'country'"),
        ({"show": ["name", "disability"]}, "sensitive column"),
        ({"show": ["name", "name"]}, "more than once"),
        ({"labels": {"gender": {"label": "Gender", "valus": {"woman": "Women"}}}}, "valus"),
        ({"labels": {"gender": {"label": ""}}}, "labels.gender"),
    ],
)
def test_bad_labels_and_show_are_refused(tmp_path: Path, extra: dict[str, Any], said: str) -> None:
    out = tmp_path / "out"
    output = run("select", scenario(tmp_path, **extra), "--out", out, code=2)
    assert said in output
    assert not out.exists()


def test_labels_and_show_leave_the_commitment_alone(tmp_path: Path) -> None:
    def digest(folder: str, **extra: Any) -> str:
        (tmp_path / folder).mkdir()
        return criteria_sha256(load_scenario(scenario(tmp_path / folder, **extra)).scenario)

    plain = digest("plain")
    assert digest("worded", labels=LABELS, show=SHOW) == plain
    assert digest("changed", seed=12) != plain  # the digest does see a real change


def test_public_json_names_no_value_label_the_report_does_not_name(tmp_path: Path) -> None:
    """A label for an organisation nobody on the board has stays out of the public JSON."""
    labels = {"organisation": {"label": "Organisation", "values": {"Nowhere Trust": "Nowhere"}}}
    path = scenario(tmp_path, labels=labels)
    for variant in ("public", "internal"):
        flags = ["--public"] if variant == "public" else []
        run("select", path, "--out", tmp_path / variant, *flags, "--workers", "1")
    said = {
        variant: (tmp_path / variant / "report.json").read_text(encoding="utf-8")
        for variant in ("public", "internal")
    }
    assert "Nowhere" not in said["public"]
    assert "Nowhere" in said["internal"]  # the check can fail


def test_criteria_page_says_the_labels(tmp_path: Path) -> None:
    """The page posted before the call closes uses the same words as the report."""
    for kind, extra in (("labelled", {"labels": LABELS}), ("plain", {})):
        (tmp_path / kind).mkdir()
        path = scenario(tmp_path / kind, **extra)
        run("criteria", path, "--out", tmp_path / kind / "out")
    for name in ("criteria.md", "criteria.html"):
        words = prose((tmp_path / "labelled" / "out" / name).read_text(encoding="utf-8"))
        assert "Governments" in words and "Stakeholder group" in words, name
        assert "stakeholder_group" not in words and "un_region" not in words, name
        plain = prose((tmp_path / "plain" / "out" / name).read_text(encoding="utf-8"))
        assert "stakeholder_group" in plain, name  # the check can fail
    labelled = (tmp_path / "labelled" / "out" / "criteria.json").read_bytes()
    assert labelled == (tmp_path / "plain" / "out" / "criteria.json").read_bytes()


def test_a_value_label_for_a_misspelt_value_is_refused(tmp_path: Path) -> None:
    labels = {"stakeholder_group": {"values": {"Civil Societty": "Civil society"}}}
    output = run("select", scenario(tmp_path, labels=labels), "--out", tmp_path / "o", code=2)
    assert "labels.stakeholder_group.values" in output and "Civil Society" in output
