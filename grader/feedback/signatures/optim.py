"""Signatures of sgd_momentum: a flipped sign in the step or in the stored velocity."""
from grader.feedback.registry import signature


@signature("momentum_step_reversed")
def momentum_step_reversed(case):
    """w moved by exactly the opposite of the right total step; the velocity is right."""
    w, expected = case.input_array("w"), case.expected_array("next_w")
    if case.function != "sgd_momentum" or w is None or expected is None:
        return False
    return case.got_is("next_w", 2 * w - expected) and case.others_right("next_w")


@signature("velocity_negated")
def velocity_negated(case):
    """next_w is right but the stored velocity has the opposite sign (v kept as +lr * dw)."""
    expected = case.expected_array("velocity")
    if case.function != "sgd_momentum" or expected is None:
        return False
    return case.got_is("velocity", -expected) and case.others_right("velocity")

