"""What the web app's tests share: start a selection run, wait for it, read its roster."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.testclient import TestClient


def run(client: TestClient, name: str, csrf: str) -> str:
    """Start scenario ``name``'s run as the page's button does; the status page once it ends.

    The run goes to the background; the status fragment is polled (bounded: 300 s) until it
    says done or failed.
    """
    started = client.post(f"/s/{name}/run", data={"csrf_token": csrf})
    assert started.status_code == 200
    status = ""
    for _ in range(600):
        status = client.get(f"/s/{name}/status").text
        if 'id="done"' in status or 'id="failed"' in status:
            break
        time.sleep(0.5)
    return status


def roster(status: str) -> list[str]:
    """The board a finished run's status page shows."""
    found = re.search(r'<p id="roster">([^<]*)</p>', status)
    assert found, status[:2000]
    return found.group(1).split(", ")
