"""Start-up: ``balancer --help`` and ``--version`` must not pay for the solver or pandas.

Each command imports the library inside its function, so the help of every command (and the
version line) is built without the heavy stack. Checked in a fresh interpreter, since this
test process has imported everything already. No timing here: the figures are in
benchmarks/bench_startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("ortools", "pandas", "numpy", "pyarrow", "jinja2", "plotly", "openpyxl", "scipy")

PROBE = """
import json, sys
watched = set(json.loads(sys.argv[2]))
sys.argv = ["balancer", *json.loads(sys.argv[1])]
import balancer.cli
code = None
try:
    balancer.cli.main()
except SystemExit as exit:
    code = exit.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & watched)
sys.stderr.write(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["select", "--help"]])
def test_help_and_version_import_no_heavy_library(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found["code"] in (0, None), done.stderr
    assert found["heavy"] == [], f"balancer {' '.join(argv)} imported {found['heavy']}"
    assert done.stdout.strip()  # it did print the help or the version


def test_every_command_registers_without_the_library() -> None:
    probe = (
        "import sys, balancer.cli as c; c.load(); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
