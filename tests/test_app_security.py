"""The web app's guards, each tried by the request that should be refused.

A pool is personal data and the app listens on a port of the convener's computer, so every
route must refuse a request without the start token, every form a post without this session's
CSRF token, and uploads that are too large, of the wrong type or named to escape the
workspace. These run in-process (Starlette's test client); the browser test walks the flow.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from starlette.routing import Route
from typer.testing import CliRunner

with warnings.catch_warnings():  # the test client's note about a future httpx
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from balancer.app.security import Guard, safe_name
from balancer.app.server import create_app
from balancer.cli import app as cli_app

if TYPE_CHECKING:
    import httpx

ROOT = Path(__file__).resolve().parent.parent
POOL = ROOT / "scenarios" / "pools" / "sounding-board.csv"
HOSTILE = '<script>alert("pool")</script>'


def _client(workspace: Path, **options: object) -> tuple[TestClient, str]:
    """A signed-in client (the start URL visited once) and its CSRF token."""
    application = create_app(workspace, guard=Guard("start-token"), **options)  # type: ignore[arg-type]
    client = TestClient(application, base_url="http://127.0.0.1")
    page = client.get("/?token=start-token")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found
    return client, found.group(1)


def _upload(client: TestClient, csrf: str, name: str, data: bytes) -> httpx.Response:
    response: httpx.Response = client.post(
        "/upload", data={"csrf_token": csrf}, files={"pool": (name, data)}
    )
    return response


def _post_routes(client: TestClient) -> list[str]:
    routes = client.app.routes  # type: ignore[attr-defined]
    paths = [r.path for r in routes if isinstance(r, Route) and "POST" in (r.methods or ())]
    return [p.replace("{name}", "sounding-board") for p in paths]


def test_without_the_token_every_page_is_refused(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path, guard=Guard("right")), base_url="http://127.0.0.1")
    for path in ["/", "/compare", "/s/x/pool", "/static/htmx.min.js", "/s/x/scenario.yaml"]:
        assert client.get(path).status_code == 403, path
        assert client.get(path + "?token=wrong").status_code == 403, path
    assert client.post("/upload", data={}).status_code == 403
    # The right token opens a session and leaves the token out of the address.
    first = client.get("/?token=right", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "HttpOnly" in first.headers["set-cookie"]
    assert "SameSite=Strict" in first.headers["set-cookie"]
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_another_host_name_is_refused(tmp_path: Path) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 reaches the port."""
    client, _ = _client(tmp_path)
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_a_forged_form_is_refused_on_every_post_route(tmp_path: Path) -> None:
    client, csrf = _client(tmp_path)
    assert _upload(client, csrf, "sounding-board.csv", POOL.read_bytes()).status_code == 200
    scenario = tmp_path / "scenarios" / "sounding-board.yaml"
    before = scenario.read_bytes()
    routes = _post_routes(client)
    assert len(routes) >= 9
    for path in routes:
        for data in ({}, {"csrf_token": "0" * 64}, {"csrf_token": csrf[:-1] + "x"}):
            answer = client.post(path, data={**data, "board_size": "1"})
            assert answer.status_code == 403, (path, data)
    # Another session's token is no good either.
    _, other_csrf = _client(tmp_path / "other")
    assert other_csrf != csrf
    answer = client.post("/s/sounding-board/criteria", data={"csrf_token": other_csrf})
    assert answer.status_code == 403
    assert scenario.read_bytes() == before
    # The right token passes (the check is not simply refusing everything).
    answer = client.post(
        "/s/sounding-board/criteria/check", data={"csrf_token": csrf, "board_size": "0"}
    )
    assert answer.status_code == 200
    assert "board_size: Input should be greater than or equal to 1" in answer.text


def test_uploads_too_large_or_of_another_type_are_refused(tmp_path: Path) -> None:
    client, csrf = _client(tmp_path, upload_limit=4096)
    big = POOL.read_bytes()
    assert len(big) > 4096
    assert _upload(client, csrf, "pool.csv", big).status_code == 413
    answer = _upload(client, csrf, "pool.exe", b"id\nc1\n")
    assert answer.status_code == 415
    answer = _upload(client, csrf, "pool.xlsx", b"id,name\nc1,x\n")
    assert answer.status_code == 415
    answer = _upload(client, csrf, "pool.csv", b"\x00\x01\x02binary")
    assert answer.status_code == 415
    # A body of unknown size (chunked) is refused before it is read.
    stream = client.post(
        "/upload",
        content=iter([b"--x\r\n", big]),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert stream.status_code == 411
    # Far too large for the form to be parsed at all.
    answer = client.post(
        "/upload", content=b"x" * 100_000, headers={"content-type": "multipart/form-data"}
    )
    assert answer.status_code == 413
    assert list((tmp_path / "pool").iterdir()) == []


def test_a_file_name_cannot_leave_the_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    client, csrf = _client(workspace)
    pool = b"id,name,gender\nc1,A,woman\nc2,B,man\n"
    for name in ["../../evil.csv", "..\\..\\evil.csv", "/etc/evil.csv", "....//evil.csv"]:
        answer = _upload(client, csrf, name, pool)
        assert answer.status_code == 200
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(workspace)]
    assert outside == []
    assert sorted(p.name for p in (workspace / "pool").iterdir()) == [
        "evil-2.csv",
        "evil-3.csv",
        "evil-4.csv",
        "evil.csv",
    ]
    # Names in the address are made safe too: nothing outside scenarios/ is read.
    (tmp_path / "secret.yaml").write_text("board_size: 1\npool: x.csv\n")
    for path in ["/s/..%2F..%2Fsecret/scenario.yaml", "/s/../../secret/scenario.yaml"]:
        assert client.get(path).status_code == 404
    assert safe_name("../../a b/c.csv") == "c.csv"
    assert safe_name("..") == "file"
    assert safe_name("C:\\Users\\x\\pool.xlsx") == "pool.xlsx"


def test_a_hostile_name_in_the_pool_stays_text(tmp_path: Path) -> None:
    client, csrf = _client(tmp_path)
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    pool = f"id,name,gender\nc1,{quoted},woman\nc2,B,man\n".encode()
    answer = _upload(client, csrf, "pool.csv", pool)
    assert answer.status_code == 200
    text = answer.text
    assert "&lt;script&gt;alert(&#34;pool&#34;)&lt;/script&gt;" in text
    assert HOSTILE not in text


def test_binding_beyond_this_computer_needs_a_flag() -> None:
    result = CliRunner().invoke(cli_app, ["app", "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 2
    assert "--allow-network" in result.output


@pytest.mark.parametrize("path", ["/static/htmx.min.js", "/static/app.css"])
def test_scripts_and_styles_come_from_the_package(tmp_path: Path, path: str) -> None:
    """Offline: the page loads nothing from another host."""
    client, _ = _client(tmp_path)
    assert client.get(path).status_code == 200
    page = client.get("/").text
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
