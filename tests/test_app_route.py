"""The web app reads a pool the way every command does: through :mod:`balancer.engine.load`.

The messy nomination export is saved the way Excel for Mac saves "CSV (Macintosh)": in Mac
Roman, which is not UTF-8, so read without the scenario's ``encoding:`` it would be guessed as
Windows-1252 and "Côte d'Ivoire" would become "C™te d'Ivoire", a country no table knows. The
app's supply of values and its list of candidates for "why not" must be the ones ``balancer
validate`` and ``balancer select`` read, with the scenario's ``columns:`` (the id header
``Nominee ID`` becomes ``id``), spellings, derived columns and ``missing: exclude``.
"""

from __future__ import annotations

import ast
import csv
import re
import warnings
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import balancer
from balancer.app.security import Guard
from balancer.app.server import create_app
from balancer.app.workspace import Workspace
from tests import app_support

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
MESSY = ROOT / "tests" / "data" / "messy"
APP = ROOT / "balancer" / "app"


def _mac_scenario(folder: Path) -> Path:
    """messy.yaml over the same people, exported as a Mac Roman CSV (``encoding: mac_roman``)."""
    raw = balancer.read_pool(MESSY / "nominations.xlsx", id_column=None, sheet="Nominations")
    with (folder / "nominations.csv").open("w", encoding="mac_roman", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(raw.table.columns)
        writer.writerows(raw.table.itertuples(index=False))
    data = (MESSY / "messy.yaml").read_text(encoding="utf-8")
    data = data.replace(
        "pool: {path: nominations.xlsx, sheet: Nominations, id_column: Nominee ID}",
        "pool: {path: nominations.csv, id_column: Nominee ID}\nencoding: mac_roman",
    )
    assert "mac_roman" in data
    path = folder / "messy-mac.yaml"
    path.write_text(data, encoding="utf-8")
    return path


class _Supply(HTMLParser):
    """The supply tables of the values page: column -> value -> people."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.column: str | None = None
        self.cells: list[str] = []
        self.cell: str | None = None
        self.counts: dict[str, dict[str, int]] = {}
        self.problems = 'class="problems"' in text
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("class") == "supply":
            self.column = a.get("data-column") or ""
            self.counts[self.column] = {}
        elif tag == "td" and self.column is not None:
            self.cell = ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.cells.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.column is not None and len(self.cells) == 2:
            self.counts[self.column][self.cells[0]] = int(self.cells[1])
            self.cells = []
        elif tag == "table":
            self.column = None


def test_the_supply_is_the_pool_validate_reads(tmp_path: Path) -> None:
    source = _mac_scenario(tmp_path)
    name = Workspace(tmp_path / "ws").import_scenario(source)
    client = TestClient(create_app(tmp_path / "ws", guard=Guard("t")), base_url="http://127.0.0.1")
    client.get("/?token=t")
    page = client.get(f"/s/{name}/values")
    assert page.status_code == 200
    shown = _Supply(page.text)
    assert not shown.problems, page.text
    # The raw spellings offered for aliases are read in the scenario's encoding too: an alias
    # saved for "C™te d'Ivoire" would never meet the cell the engine reads.
    assert "™" not in page.text and "™" not in client.get(f"/s/{name}/pool").text
    assert shown.counts["country"]["Côte d'Ivoire"] == 1
    assert "id" not in shown.counts and "Nominee ID" not in shown.counts  # columns: applied
    # The same people in the workbook (no encoding to guess) give the same supply...
    from_xlsx = balancer.validate(MESSY / "messy.yaml").report.supply
    # ... and what the CLI counts on the Mac CSV is what the page shows, value for value.
    from_csv = balancer.validate(source).report.supply
    assert [(r.column, r.value, r.available) for r in from_csv] == [
        (r.column, r.value, r.available) for r in from_xlsx
    ]
    assert from_csv
    for row in from_csv:
        assert shown.counts[row.column].get(row.value, 0) == row.available, row
    # Every value on the page, counted here from the workbook: gender by its spellings in any
    # case (a blank gender is left out of the pool), the groups one per part.
    raw = balancer.read_pool(MESSY / "nominations.xlsx", id_column=None, sheet="Nominations")
    kept = raw.table[raw.table["Gender"] != ""]
    words = {"f": "woman", "female": "woman", "m": "man", "male": "man"}
    genders = Counter(words.get(g.lower(), g.lower()) for g in kept["Gender"])
    assert shown.counts["gender"] == dict(genders)
    groups = {
        "gov": "Government",
        "cso": "Civil Society",
        "private": "Private Sector",
        "tech community": "Technical Community",
        "academia": "Academic",
    }
    parts = Counter(
        groups.get(p.strip().lower(), p.strip())
        for cell in kept["Stakeholder group(s)"]
        for p in cell.split(";")
        if p.strip()
    )
    assert shown.counts["stakeholder_group"] == dict(parts)
    assert sum(shown.counts["country"].values()) == len(kept)


def test_why_not_offers_the_candidates_select_reads(tmp_path: Path) -> None:
    source = _mac_scenario(tmp_path)
    name = Workspace(tmp_path / "ws").import_scenario(source)
    client = TestClient(create_app(tmp_path / "ws", guard=Guard("t")), base_url="http://127.0.0.1")
    home = client.get("/?token=t").text
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', home).group(1)  # type: ignore[union-attr]
    status = app_support.run(client, name, csrf)
    chosen = app_support.roster(status)
    assert chosen == balancer.select(source, explain_board=False).roster_ids
    block = re.search(r'<select name="candidate" id="whynot-candidate">(.*?)</select>', status)
    assert block, status[:2000]
    offered = re.findall(r'<option value="([^"]*)">', block.group(1))
    raw = balancer.read_pool(MESSY / "nominations.xlsx", id_column=None, sheet="Nominations")
    kept = raw.table[raw.table["Gender"] != ""]["Nominee ID"].tolist()  # missing: exclude
    assert len(kept) < len(raw.table)
    assert offered == [i for i in kept if i not in chosen]


def _calls(path: Path) -> list[tuple[str, str]]:
    """(function, name called) for every call in a module, by the innermost enclosing def."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Call):
                f = child.func
                called = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                found.append((inner, called))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_the_raw_first_look_is_the_only_pool_the_app_reads_itself() -> None:
    """Everything else goes through balancer.engine.load (see balancer/app/pool.py: read)."""
    own = {"read_pool", "prepare_pool", "build_problem", "pool_from_frame", "read_sheet"}
    readers = [
        (path.name, function)
        for path in sorted(APP.rglob("*.py"))
        for function, called in _calls(path)
        if called in own
    ]
    assert readers == [("pool.py", "read")]
