"""Shared pytest set-up."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers the tests use, so a typo in a marker name is an error."""
    config.addinivalue_line(
        "markers", "browser: needs headless Chromium (the Debian package chromium)"
    )
    config.addinivalue_line(
        "markers",
        "slow: takes seconds of solving (brute force over many cases, a million rows, "
        "subprocesses); `make quick` leaves these out, `make test` runs everything",
    )
