"""The bundled scenario in the web app (``make app``): every page, the criteria form saved back
unchanged in meaning, and a run that selects the CLI's board, member for member.

The form is read the way a browser submits it (every input's value, every select's chosen
option), so a criterion the form cannot show or write back would change the board here.
"""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

import balancer
from balancer.app.security import Guard
from balancer.app.server import create_app
from balancer.app.workspace import Workspace
from balancer.io.files import load_scenario
from tests import app_support

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "scenarios" / "sounding-board.yaml"


class _Form(HTMLParser):
    """The fields a browser would submit from the form with ``id``."""

    def __init__(self, text: str, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select: str | None = None
        self.first: str | None = None
        self.fields: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag == "input" and a.get("type") != "checkbox":
            self.fields[a["name"]] = a.get("value", "")
        elif self.inside and tag == "select":
            self.select, self.first = a["name"], None
        elif self.inside and tag == "option" and self.select:
            if self.first is None:
                self.first = a.get("value", "")
                self.fields[self.select] = self.first
            if "selected" in a:
                self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


@pytest.mark.slow
def test_the_bundled_scenario_round_trips_and_selects_the_cli_board(tmp_path: Path) -> None:
    name = Workspace(tmp_path).import_scenario(BUNDLED)
    client = TestClient(create_app(tmp_path, guard=Guard("t")), base_url="http://127.0.0.1")
    home = client.get("/?token=t")
    for page in ("pool", "values", "criteria", "select"):
        assert client.get(f"/s/{name}/{page}").status_code == 200, page
    original = load_scenario(BUNDLED).scenario
    imported = load_scenario(tmp_path / "scenarios" / f"{name}.yaml").scenario
    assert imported.quotas == original.quotas  # yes stays the word, not True
    form = _Form(client.get(f"/s/{name}/criteria").text, "criteria").fields
    assert form["csrf_token"] in home.text
    saved = client.post(f"/s/{name}/criteria", data=form)
    assert "Saved." in saved.text
    written = load_scenario(tmp_path / "scenarios" / f"{name}.yaml").scenario
    keep = {"pool"}
    assert written.model_dump(exclude=keep) == original.model_dump(exclude=keep)

    expected = balancer.select(BUNDLED, explain_board=False).roster_ids
    assert app_support.roster(app_support.run(client, name, form["csrf_token"])) == expected


def test_an_impossible_scenario_is_diagnosed_and_a_broken_file_named(tmp_path: Path) -> None:
    name = Workspace(tmp_path).import_scenario(BUNDLED)
    client = TestClient(create_app(tmp_path, guard=Guard("t")), base_url="http://127.0.0.1")
    client.get("/?token=t")
    form = _Form(client.get(f"/s/{name}/criteria").text, "criteria").fields
    form["board_size"] = "3"  # the quotas of the bundled scenario ask for 9 seats at least
    assert "Saved." in client.post(f"/s/{name}/criteria", data=form).text
    status = app_support.run(client, name, form["csrf_token"])
    assert "Status: infeasible" in status
    assert "At least 2 seats for candidates whose un_region is African" in status
    # A scenario file broken by hand: every page says what the CLI would, no server error.
    path = tmp_path / "scenarios" / f"{name}.yaml"
    path.write_text("board_size: [\n", encoding="utf-8")
    page = client.get(f"/s/{name}/criteria")
    assert page.status_code == 400
    assert "malformed YAML" in page.text


def test_changing_a_role_drops_the_spellings_of_the_old_column(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path, guard=Guard("t")), base_url="http://127.0.0.1")
    home = client.get("/?token=t").text
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', home).group(1)  # type: ignore[union-attr]
    pool = b"Ref,Sex,Town\nr1,F,A\nr2,male,B\nr3,M,A\nr4,f,B\n"
    page = client.post("/upload", data={"csrf_token": csrf}, files={"pool": ("p.csv", pool)})
    mapping = _Form(page.text, "mapping").fields
    assert mapping["role-0"] == "id" and mapping["role-1"] == "gender"
    client.post("/s/p/pool", data=mapping)
    values = _Form(client.get("/s/p/values").text, "values").fields
    client.post("/s/p/values", data=values)
    assert Workspace(tmp_path).read("p")["aliases"]["gender"] == {
        "F": "woman",
        "M": "man",
        "f": "woman",
        "male": "man",
    }
    mapping["role-1"] = "other"  # Sex is not gender after all
    client.post("/s/p/pool", data=mapping)
    data = Workspace(tmp_path).read("p")
    assert data["columns"] == {"Sex": "sex", "Town": "town"}
    assert "gender" not in data.get("aliases", {})
    page = client.get("/s/p/values")
    assert page.status_code == 200
    assert "problems" not in page.text


def test_every_target_form_survives_the_form() -> None:
    """equal, pool, shares and equal over listed values: read into the form and back."""
    from balancer.app.criteria import apply_form, form_rows

    data = {
        "board_size": 4,
        "pool": "x.csv",
        "targets": {
            "a": "equal",
            "b": "pool",
            "c": {"woman": 0.5, "man": "1/2"},
            "d": {"equal": ["North", "South"]},
        },
        "objective": {"weights": {"a": 2}, "tie_break": "score"},
    }
    rows = form_rows(data, ["a", "b", "c", "d", "e"])
    form = {"board_size": "4"}
    for column, (kind, shares, weight) in rows.targets.items():
        form |= {f"t-{column}": kind, f"ts-{column}": shares, f"w-{column}": weight}
    again = apply_form(data, form)
    assert again["targets"] == data["targets"]
    assert again["objective"] == data["objective"]


def test_a_workbook_whose_people_are_on_another_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["This export was made on Monday"])
    people = book.create_sheet("People")
    people.append(["Ref", "Gender"])
    for ref, gender in [("r1", "woman"), ("r2", "man"), ("r3", "woman")]:
        people.append([ref, gender])
    workbook = tmp_path / "export.xlsx"
    book.save(workbook)
    workspace = tmp_path / "ws"
    client = TestClient(create_app(workspace, guard=Guard("t")), base_url="http://127.0.0.1")
    home = client.get("/?token=t").text
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', home).group(1)  # type: ignore[union-attr]
    page = client.post(
        "/upload", data={"csrf_token": csrf}, files={"pool": ("export.xlsx", workbook.read_bytes())}
    )
    assert "This export was made on Monday" in page.text  # the first sheet, as read
    assert _Form(page.text, "sheet-form").fields["sheet"] == "Read me"
    page = client.post("/s/export/sheet", data={"csrf_token": csrf, "sheet": "People"})
    mapping = _Form(page.text, "mapping").fields
    assert (mapping["role-0"], mapping["role-1"]) == ("id", "gender")
    data = Workspace(workspace).read("export")
    assert data["pool"] == {"path": str(workspace / "pool" / "export.xlsx"), "sheet": "People"}
    assert data["id_column"] == "Ref"
    assert (
        client.post("/s/export/sheet", data={"csrf_token": csrf, "sheet": "No"}).status_code == 400
    )
    assert (
        load_scenario(workspace / "scenarios" / "export.yaml").scenario.pool_ref.sheet == "People"
    )


def test_an_export_with_a_title_row_is_read_from_its_header(tmp_path: Path) -> None:
    """The CLI names header_row as the fix; the app, whose convener never sees the YAML, uses it."""
    export = ROOT / "tests" / "data" / "fairness" / "pool.csv"  # a title above the header
    assert export.read_text(encoding="utf-8").startswith("Nominations to the Sounding Board")
    workspace = tmp_path / "ws"
    client = TestClient(create_app(workspace, guard=Guard("t")), base_url="http://127.0.0.1")
    home = client.get("/?token=t").text
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', home).group(1)  # type: ignore[union-attr]
    page = client.post(
        "/upload",
        data={"csrf_token": csrf},
        files={"pool": ("nominations.csv", export.read_bytes())},
    )
    assert page.status_code == 200
    assert 'id="header-row-note"' in page.text
    assert _Form(page.text, "header-form").fields["header_row"] == "2"
    mapping = _Form(page.text, "mapping").fields
    assert mapping["role-0"] == "id"
    data = Workspace(workspace).read("nominations")
    assert data["pool"] == {"path": str(workspace / "pool" / "nominations.csv"), "header_row": 2}
    assert data["id_column"] == "id"
    spec = load_scenario(workspace / "scenarios" / "nominations.yaml").scenario
    assert spec.pool_ref.header_row == 2
    rows = sum(1 for line in export.read_text(encoding="utf-8").splitlines()[2:] if line.strip())
    assert f"{rows} rows, 8 columns" in page.text  # the people, not the title or the header

    # A number that is not a row is said on the page; row 1 gets the CLI's own line.
    bad = client.post("/s/nominations/header", data={"csrf_token": csrf, "header_row": "x"})
    assert "Give the row of the column names" in bad.text
    first = client.post("/s/nominations/header", data={"csrf_token": csrf, "header_row": "1"})
    assert first.status_code == 400
    assert "looks like a title, not the header" in first.text
    assert Workspace(workspace).read("nominations")["pool"]["header_row"] == 2  # unchanged
