"""Every template compiles in a fresh interpreter that imported only the module rendering it.

Filters are registered on the one Jinja2 environment when a module is imported; a template
whose filter is registered by some other module renders in the test suite (where everything
is imported) and fails for a convener (``balancer check`` once stopped with "No filter named
'by_column'"). Each case runs in its own interpreter, so only the renderer's imports count.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

RENDERERS = {
    "balancer.decide.audit": ["audit.md.j2", "audit.html.j2"],
    "balancer.decide.compare": ["compare.md.j2", "compare.html.j2"],
    "balancer.decide.replace": ["replacement.md.j2", "replacement.html.j2"],
    "balancer.fair.run": ["lottery.md.j2", "lottery.html.j2"],
    "balancer.present.criteria": ["criteria.md.j2", "criteria.html.j2"],
    "balancer.selection.report": ["report.md.j2", "report.html.j2"],
}


@pytest.mark.parametrize("module", sorted(RENDERERS))
def test_templates_compile_with_only_their_renderer_imported(module: str) -> None:
    names = RENDERERS[module]
    code = (
        f"import importlib; importlib.import_module({module!r})\n"
        "from balancer.present.render import ENV, MD_ENV\n"
        f"for name in {names!r}:\n"
        "    (MD_ENV if name.endswith('.md.j2') else ENV).get_template(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_template_has_a_renderer() -> None:
    from importlib import resources

    shipped = {
        p.name
        for p in resources.files("balancer.present").joinpath("templates").iterdir()
        if p.name.endswith(".j2") and p.name != "report.css.j2"
    }
    assert shipped == {name for names in RENDERERS.values() for name in names}
