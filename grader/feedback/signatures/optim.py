"""Signatures of sgd_momentum: a flipped sign in the step or in the velocity."""
from grader.feedback.registry import signature


@signature("momentum_step_reversed")
def momentum_step_reversed(case):
    """w moved by exactly the opposite of the right total step; the velocity is right."""
    w, expected = case.input_array("w"), case.expected_array("next_w")
    if case.function != "sgd_momentum" or w is None or expected is None:
        return False
    return case.got_is("next_w", 2 * w - expected) and case.others_right("next_w")


@signature("momentum_sign_flipped")
def momentum_sign_flipped(case):
    """The velocity accumulates +learning rate times the gradient: it is the negative of the
    right one, and w moved by the opposite of the right total step."""
    w, expected = case.input_array("w"), case.expected_array("next_w")
    velocity = case.expected_array("velocity")
    if case.function != "sgd_momentum" or w is None or expected is None or velocity is None:
        return False
    return (case.got_is("next_w", 2 * w - expected) and case.got_is("velocity", -velocity)
            and case.others_right("next_w", "velocity"))
