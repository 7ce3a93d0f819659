"""Small selections shared by several test files."""

from __future__ import annotations

import pandas as pd

import balancer
from balancer.io.files import parse_scenario_text, pool_from_frame
from balancer.selection.run import Result


def too_demanding() -> Result:
    """No board: 2 seats for the 1 candidate with a disability, 3 for the 2 women."""
    pool = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(6)],
            "gender": ["woman", "man", "man", "man", "woman", "man"],
            "disability": ["yes", "no", "no", "no", "no", "no"],
        }
    )
    scenario = parse_scenario_text(
        "name: Too demanding\nboard_size: 3\npool: x.csv\n"
        "quotas:\n  disability: {yes: {min: 2}}\n  gender: {woman: {min: 3}}\n"
    )
    return balancer.select(scenario, pool_from_frame(pool), workers=1)
