"""The whole convener's flow in a real browser, on a messy spreadsheet, then the CLI on its YAML.

Debian's chromium is driven through Playwright's Python package (never a downloaded browser):
upload tests/data/app/messy.xlsx, map its own headers, accept the proposed spellings, set
quotas and caps, check that a wrong bound gets the CLI's own message live, select, read the
binding criteria, ask why-not, the alternatives and the lottery, compare two scenarios,
download the YAML, and run ``balancer select`` on that file: the same roster, and the same
report.json except for the run's time and where its files were. Screenshots of each step go to
``$APP_SHOTS`` when set (the note's pictures), else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from balancer.app.security import Guard
from balancer.app.server import create_app
from balancer.io.files import parse_scenario_text
from balancer.spec.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
MESSY = ROOT / "tests" / "data" / "app" / "messy.xlsx"
HOSTILE = '<img src=x onerror="alert(1)"> Mallory'
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WAIT = 120_000  # ms; a bound for a hung page, not a speed requirement


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app on a free loopback port, in a thread, over a fresh workspace."""
    workspace = tmp_path / "workspace"
    guard = Guard()
    application = create_app(workspace, guard=guard)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/?token={guard.token}", workspace
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("APP_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cli_message(data: dict[str, Any]) -> str:
    """What the CLI's reader says about this mapping (the app must say the same)."""
    import yaml

    try:
        parse_scenario_text(yaml.safe_dump(data), source="x.yaml")
    except InputError as error:
        return str(error.problems[0]).removeprefix("x.yaml: ")
    raise AssertionError("expected a problem")


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """report.json without what differs between two runs of one scenario by design."""
    report = json.loads(json.dumps(report))
    report.pop("timings")
    if report.get("explanation"):
        report["explanation"].pop("seconds")  # a timing too
    for key in ("created", "command", "scenario_file"):
        report["provenance"].pop(key)
    return report


@pytest.mark.slow
@pytest.mark.browser
def test_the_whole_flow_in_a_browser(served: tuple[str, Path], tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run the set-up (apt-get install chromium)")
    from playwright.sync_api import Dialog, expect, sync_playwright

    url, workspace = served
    shots = _shots(tmp_path)
    dialogs: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(WAIT)

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        page.on(
            "request",
            lambda r: None if r.url.startswith("http://127.0.0.1") else outside.append(r.url),
        )

        # 1. The start page; upload the messy spreadsheet.
        page.goto(url)
        assert "token=" not in page.url  # the token is traded for a session cookie
        page.screenshot(path=shots / "01-start.png", full_page=True)
        page.set_input_files("#pool-file", str(MESSY))
        page.click("#upload")
        page.wait_for_url("**/s/messy/pool")

        # 2. Columns and first rows; the hostile name is text, not an element.
        rows = page.locator("#first-rows")
        expect(rows).to_contain_text(HOSTILE)
        assert rows.locator("img").count() == 0
        roles = {
            page.locator(f"select[name=role-{i}]").get_attribute("data-header"): page.locator(
                f"select[name=role-{i}]"
            ).input_value()
            for i in range(7)
        }
        assert roles == {
            "Candidate ID": "id",
            "Full name": "name",
            "Country of residence": "country",
            "Stakeholder group(s)": "stakeholder_group",
            "Gender": "gender",
            "Disability?": "disability",
            "Organisation": "other",
        }
        assert page.locator("input[name=sep-3]").input_value() == ";"
        page.screenshot(path=shots / "02-pool-and-roles.png", full_page=True)
        page.click("#save-mapping")
        page.wait_for_url("**/s/messy/values")

        # 3. Raw values and proposals: the second spelling of a country becomes the first.
        def proposal(column: str, raw: str) -> str:
            box = page.locator(f'fieldset[data-column="{column}"] input[data-raw="{raw}"]')
            return box.input_value()

        assert proposal("country", "KEN") == "Kenya"
        assert proposal("country", "Vietnam") == "Viet Nam"
        assert proposal("country", "Ivory Coast") == "Côte d'Ivoire"
        assert proposal("gender", "female") == "woman"
        assert proposal("stakeholder_group", "civil society") == "Civil Society"
        assert proposal("disability", "Y") == "yes"
        page.screenshot(path=shots / "03-values-proposed.png", full_page=True)
        page.click("#accept-values")
        page.wait_for_url("**/s/messy/values#supply")
        supply = page.locator('table.supply[data-column="country"]')
        expect(supply).to_contain_text("Kenya")
        assert "KEN" not in supply.inner_text().split()
        expect(page.locator('table.supply[data-column="un_region"]')).to_contain_text("African")
        page.locator("#supply").screenshot(path=shots / "04-supply.png")

        # 4. Criteria: a wrong bound gets the CLI's message live, then real quotas.
        page.goto(url.split("?")[0] + "s/messy/criteria")
        page.fill("#board_size", "8")
        page.select_option("select[name=q-0-column]", "gender")
        page.fill("input[name=q-0-value]", "woman")
        page.fill("input[name=q-0-min]", "5")
        page.fill("input[name=q-0-max]", "2")
        expected = _cli_message(
            {
                "board_size": 8,
                "pool": "p.csv",
                "quotas": {"gender": {"woman": {"min": 5, "max": 2}}},
            }
        )
        expect(page.locator("#problems")).to_contain_text(expected)
        page.screenshot(path=shots / "05-criteria-live-error.png", full_page=True)
        page.fill("input[name=q-0-min]", "3")
        page.fill("input[name=q-0-max]", "")
        page.select_option("select[name=q-1-column]", "disability")
        page.fill("input[name=q-1-value]", "yes")
        page.fill("input[name=q-1-min]", "1")
        page.select_option("select[name=q-2-column]", "un_region")
        page.fill("input[name=q-2-value]", "African")
        page.fill("input[name=q-2-min]", "3")  # above the equal target: it binds
        page.select_option("select[name=c-0-column]", "country")
        page.fill("input[name=c-0-max]", "1")
        page.select_option("select[name=c-1-column]", "organisation")
        page.fill("input[name=c-1-max]", "1")
        page.select_option("select[name=t-stakeholder_group]", "equal")
        page.select_option("select[name=t-un_region]", "equal")
        page.select_option("select[name=t-gender]", "shares")
        page.fill("input[name=ts-gender]", "woman=0.5, man=0.5")
        expect(page.locator("#valid")).to_be_visible()
        expect(page.locator("#words")).to_contain_text(
            "At least 3 seats for members whose gender is woman."
        )
        page.click("#save-criteria")
        expect(page.locator("#message")).to_have_text("Saved.")
        page.screenshot(path=shots / "06-criteria-saved.png", full_page=True)

        # 5. Select: progress, then the binding criteria first and the CLI's report.
        page.goto(url.split("?")[0] + "s/messy/select")
        page.click("#run")
        page.wait_for_selector("#progress, #done")
        page.screenshot(path=shots / "07a-progress.png")  # the run may already be over
        expect(page.locator("#done")).to_be_visible()
        report = json.loads((workspace / "out" / "messy" / "report.json").read_text())
        assert report["status"] == "optimal"
        binding = [
            r["sentence"] for r in report["explanation"]["rules"] if r["status"] == "binding"
        ]
        assert binding  # the African minimum pulls against the equal regional target
        assert page.locator("#binding li").all_inner_texts() == binding
        frame = page.frame_locator("#report")
        expect(frame.locator("body")).to_contain_text(report["roster"][0])
        page.screenshot(path=shots / "07-selected.png", full_page=True)

        # Why not, alternatives and the lottery for this board.
        outsider = page.locator("#whynot-candidate option").first.get_attribute("value")
        assert outsider and outsider not in report["roster"]
        page.select_option("#whynot-candidate", outsider)
        page.click("#whynot")
        expect(page.locator("#whynot-answer li")).to_contain_text(outsider)
        page.click("#find-alternatives")
        expect(page.locator("#alternatives tbody tr").first).to_be_visible()
        page.click("#lottery")
        expect(page.locator("#lottery-table tbody tr").first).to_be_visible()
        chances = [float(c) for c in page.locator("#lottery-table td.n").all_inner_texts()]
        assert len(chances) == 36  # every candidate, with the chance the lottery gives
        assert abs(sum(chances) - 8) <= 36 * 0.0005  # the chances fill the 8 seats
        page.locator(".tools").screenshot(path=shots / "08-whynot-alternatives-lottery.png")

        # 6. A second scenario (a copy with a larger board), compared with the first.
        page.goto(url.split("?")[0])
        page.fill("form:has(input[name=source][value=messy]) input[name=new_name]", "messy-10")
        page.click("form:has(input[name=source][value=messy]) button")
        page.wait_for_url("**/s/messy-10/criteria")
        page.fill("#board_size", "10")
        page.click("#save-criteria")
        expect(page.locator("#message")).to_have_text("Saved.")
        page.goto(url.split("?")[0] + "compare")
        page.select_option("#compare-a", "messy")
        page.select_option("#compare-b", "messy-10")
        page.click("#compare")
        comparison = page.frame_locator("#comparison")
        expect(comparison.locator("body")).to_contain_text("messy-10")
        page.screenshot(path=shots / "09-compare.png", full_page=True)

        # 7. Take it away: the YAML, and the CLI on it gives the same board and report.
        page.goto(url.split("?")[0] + "s/messy/select")
        with page.expect_download() as download:
            page.click("#download-yaml")
        away = tmp_path / "downloads"
        away.mkdir()
        scenario = away / download.value.suggested_filename
        download.value.save_as(scenario)
        zips = {}
        for link in ("#download-zip", "#download-public"):
            with page.expect_download() as download:
                page.click(link)
            zips[link] = away / download.value.suggested_filename
            download.value.save_as(zips[link])
        page.screenshot(path=shots / "10-take-away.png", full_page=True)
        browser.close()

    assert dialogs == []  # the hostile name never ran
    assert outside == []  # nothing was fetched from another host
    assert scenario.read_bytes() == (workspace / "scenarios" / "messy.yaml").read_bytes()
    with zipfile.ZipFile(zips["#download-zip"]) as archive:
        assert {"roster.csv", "report.json", "report.md", "report.html"} <= set(archive.namelist())
        assert "disability" in archive.read("roster.csv").decode().splitlines()[0]
    with zipfile.ZipFile(zips["#download-public"]) as archive:
        public = json.loads(archive.read("report.json"))
        assert public["public"] is True
        assert "disability" not in archive.read("roster.csv").decode().splitlines()[0]
    cli_out = tmp_path / "cli"
    run = subprocess.run(
        [sys.executable, "-m", "balancer", "select", str(scenario), "--out", str(cli_out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    app_out = workspace / "out" / "messy"
    assert (cli_out / "roster.csv").read_bytes() == (app_out / "roster.csv").read_bytes()
    cli_report = json.loads((cli_out / "report.json").read_text())
    app_report = json.loads((app_out / "report.json").read_text())
    assert (
        cli_report["provenance"]["scenario_sha256"] == app_report["provenance"]["scenario_sha256"]
    )
    assert cli_report["provenance"]["pool_sha256"] == app_report["provenance"]["pool_sha256"]
    cli_report, app_report = _comparable(cli_report), _comparable(app_report)
    for key in cli_report:  # key by key, so a failure names the part that differs
        assert cli_report[key] == app_report[key], key
    assert cli_report == app_report
    shutil.rmtree(cli_out)
