"""Starting the server: a fresh token, the address printed, the browser opened."""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from balancer.app.security import Guard
from balancer.app.server import create_app
from balancer.app.workspace import Workspace


def serve(
    workspace: Path,
    *,
    scenario: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    browser: bool = True,
    say: Callable[[str], object] = print,
) -> None:
    """Serve ``workspace`` until Ctrl+C; the token in the printed address is new each start."""
    if scenario is not None:
        Workspace(workspace).import_scenario(scenario)
    guard = Guard()
    remote = host not in ("127.0.0.1", "localhost", "::1")
    extra = {host, socket.gethostname()} if remote else set()
    application = create_app(workspace, guard=guard, hosts=extra)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{shown}:{sock.getsockname()[1]}/?token={guard.token}"
        say(f"balancer app: workspace {Path(workspace).resolve()}")
        say(f"Open {url}  (Ctrl+C stops the server)")
        if browser:
            webbrowser.open(url)
        config = uvicorn.Config(application, log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])
