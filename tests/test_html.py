"""The HTML report: one self-contained, well-formed page without script, where data stays text.

The page is meant to be mailed and published as is, so it must not run or fetch anything, and
a candidate called ``<script>`` (names come from an open call) must stay a name. The structure
is checked with the standard library's parser; the last test opens the page in a real headless
browser, because a page can be well formed and still render blank.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import balancer
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.selection.report import render_html
from balancer.selection.run import Result, public_members
from tests.cases import too_demanding

ROOT = Path(__file__).resolve().parent.parent
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
HOSTILE = ["<script>alert(1)</script>", "Quote \" and ' marks", "=cmd|' /C calc'!A0"]


class Page(HTMLParser):
    """Every tag with its attributes, every text with the tags around it, and nesting errors."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self.errors: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((tuple(self.stack), data))

    def text_inside(self, tag: str) -> str:
        return "\n".join(text for stack, text in self.texts if tag in stack)


def _html(result: Result) -> str:
    return render_html(result.report, public_members(result))


@pytest.fixture(scope="module")
def bundled() -> tuple[Result, str]:
    result = balancer.select(ROOT / "scenarios" / "sounding-board.yaml", workers=1)
    assert result.status == "optimal"
    return result, _html(result)


def _check_page(text: str) -> Page:
    """Well formed, no script or handler, and nothing that reaches outside the file."""
    assert text.startswith("<!DOCTYPE html>")
    page = Page(text)
    assert page.errors == []
    assert page.stack == [], f"unclosed tags: {page.stack}"
    names = {tag for tag, _ in page.tags}
    assert {"html", "head", "body", "style"} <= names
    assert "script" not in names
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), tag
        assert "src" not in attrs, tag
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    lowered = text.lower()
    for outside in ("http://", "https://", "javascript:", "@import", "url("):
        assert outside not in lowered
    return page


def test_bundled_report_is_one_self_contained_page(bundled: tuple[Result, str]) -> None:
    result, text = bundled
    page = _check_page(text)
    titles = [t for stack, t in page.texts if stack[-1:] == ("h1",)]
    assert titles == [result.report.scenario]
    for section in ("members", "criteria", "composition", "shaped", "why-members", "supply"):
        assert any(attrs.get("id") == section for _, attrs in page.tags), section
    assert "@media print" in text


def test_one_chart_per_criteria_column(bundled: tuple[Result, str]) -> None:
    result, text = bundled
    page = Page(text)
    charts = [attrs for tag, attrs in page.tags if tag == "svg"]
    columns = result.problem.criteria_columns()
    assert len(charts) == len(columns) == len({row.column for row in result.report.composition})
    assert all(attrs.get("role") == "img" for attrs in charts)
    chart_titles = [t for stack, t in page.texts if stack[-2:] == ("svg", "title")]
    for column in columns:
        assert any(f"Composition by {column}:" in t for t in chart_titles), column


def test_status_badges_follow_the_explanation(bundled: tuple[Result, str]) -> None:
    result, text = bundled
    assert result.report.explanation is not None
    statuses = {r.status for r in result.report.explanation.rules}
    page = Page(text)
    badges = {t for stack, t in page.texts if stack[-2:] == ("td", "span")}
    expected = {"binding": "binding", "tight, no cost": "tight", "slack": "slack"}
    assert {expected[s] for s in statuses if s in expected} <= badges


def test_sensitive_column_is_never_shown_per_member(bundled: tuple[Result, str]) -> None:
    result, text = bundled
    assert "disability" in result.problem.scenario.sensitive
    start = text.index('<table class="members">')
    table = Page(text[start : text.index("</table>", start) + len("</table>")])
    headers = [t for stack, t in table.texts if "thead" in stack]
    assert headers == ["#", *public_members(result)[0]]
    assert "disability" not in headers
    assert len([t for t, _ in table.tags if t == "td"]) == len(result.roster) * len(headers)
    assert "confidential: totals only" in text


def test_infeasible_report_shows_the_diagnosis_and_the_fix() -> None:
    result = too_demanding()
    assert result.status == "infeasible"
    assert result.report.diagnosis is not None and result.report.diagnosis.relaxation
    page = _check_page(_html(result))
    words = "\n".join(t for _, t in page.texts)
    assert "Why no board is possible" in words
    assert result.report.diagnosis.conflicts[0].summary in words
    assert result.report.diagnosis.relaxation.sentence in words
    assert not any(a.get("id") == "members" for _, a in page.tags)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_data_stays_text_in_html_and_svg(hostile: str) -> None:
    column = f"col {hostile}"
    pool = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": [hostile, "Bo", "Cy", "Di"],
            "region": [hostile, "North", hostile, "South"],
            column: ["x", "y", "x", "y"],
        }
    )
    scenario = parse_scenario_text(
        f"name: {json.dumps('Board ' + hostile)}\nboard_size: 2\npool: x.csv\ninclude: [a]\n"
        f"targets: {{region: equal, {json.dumps(column)}: equal}}\n"
    )
    result = balancer.select(scenario, pool_from_frame(pool), workers=1)
    text = _html(result)
    page = _check_page(text)
    assert "<script>alert" not in text
    assert hostile in page.text_inside("h1")
    assert hostile in page.text_inside("title")
    assert any(hostile in t for stack, t in page.texts if "table" in stack and "td" in stack)
    in_svg = page.text_inside("svg")
    assert hostile in in_svg  # a value, as a bar label and in the chart's title and desc
    assert column in in_svg  # a column name, in the chart's title
    for tag, _ in page.tags:
        assert tag in VOID or tag.isalnum(), tag  # no tag was made out of data


def _png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the image data), read with the stdlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    compressed, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            compressed += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, len(set(zlib.decompress(compressed)))


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.slow
@pytest.mark.browser
def test_report_renders_in_a_headless_browser(bundled: tuple[Result, str], tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "chromium is not installed: run the set-up (apt-get install chromium) to render "
            "the HTML report in a headless browser"
        )
    result, text = bundled
    report = tmp_path / "report.html"
    report.write_text(text, encoding="utf-8")
    shot = tmp_path / "shot.png"
    profile = f"--user-data-dir={tmp_path / 'profile'}"
    url = report.as_uri()
    run = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            profile,
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    width, height, distinct = _png_facts(shot)
    assert (width, height) == (1200, 2000)
    assert distinct > 32, "the screenshot is (nearly) one colour: the page did not render"
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, profile, "--dump-dom", url],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    assert result.report.scenario in dom.stdout.decode()
