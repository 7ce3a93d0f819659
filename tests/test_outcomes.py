"""Typed outcomes: one status enum mapped once from CP-SAT, one error base, one exit table."""

from __future__ import annotations

from ortools.sat.python import cp_model

from balancer.cli.shell import EXIT_CODES, exit_code
from balancer.engine.solve import status_of
from balancer.fair.columns import NoBoard
from balancer.fair.draw import TamperedError as DrawTampered
from balancer.spec import errors
from balancer.spec.outcomes import RuleClass, SolveStatus


def test_cp_sat_statuses_map_to_balancer_statuses() -> None:
    assert status_of(cp_model.OPTIMAL) is SolveStatus.OPTIMAL
    assert status_of(cp_model.FEASIBLE) is SolveStatus.FEASIBLE
    assert status_of(cp_model.INFEASIBLE) is SolveStatus.INFEASIBLE
    assert status_of(cp_model.UNKNOWN) is SolveStatus.UNKNOWN
    assert status_of(cp_model.MODEL_INVALID) is SolveStatus.UNKNOWN


def test_every_status_and_error_code_has_one_exit_code() -> None:
    assert [exit_code(s) for s in SolveStatus] == [0, 0, 3, 4]
    codes = [
        cls.code
        for cls in (
            errors.InputError,
            errors.InfeasibleError,
            errors.TamperedError,
            errors.SolverError,
        )
    ]
    assert len(set(codes)) == len(codes)
    assert all(code in EXIT_CODES for code in codes)
    assert exit_code(errors.InputError([errors.Problem("f", "w", "m")])) == 2
    assert exit_code(errors.TamperedError("boards.csv changed")) == 3
    assert exit_code(errors.SolverError("failed")) == 1


def test_errors_share_one_base_with_code_and_parameters() -> None:
    error = errors.InputError([errors.Problem("pool.csv", "row 3", "is empty", "fill it")])
    assert isinstance(error, errors.BalancerError)
    assert error.as_dict() == {
        "code": "input",
        "message": "pool.csv: row 3: is empty; fill it",
        "parameters": {
            "problems": [
                {"file": "pool.csv", "where": "row 3", "message": "is empty", "fix": "fill it"}
            ]
        },
    }
    assert issubclass(NoBoard, errors.InfeasibleError)
    assert DrawTampered is errors.TamperedError
    assert errors.SolverError("x", stage="score").parameters == {"stage": "score"}


def test_rule_classes_keep_their_json_words() -> None:
    assert [c.value for c in RuleClass] == [
        "binding",
        "tight, no cost",
        "slack",
        "pool-limited",
        "not computed",  # the explanation's work budget did not reach the rule (issue 13)
    ]
