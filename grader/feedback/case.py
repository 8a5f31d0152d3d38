"""One failing test as the recognizers see it: the function, its inputs, the student's outputs
(`got`) and the reference's (`expected`), flattened, with the derived quantities computed once."""
from __future__ import annotations

from functools import cached_property

import numpy as np

from grader.feedback.arrays import close, flatten, norm_error, to_array
from grader.feedback.norm import Layout, family

MATCH_FLOOR = 1e-10     # a match never asks for more precision than this
CLOSER = 10.0           # a prediction explains an output it is this many times closer to than the reference


def distance(a, b) -> float:
    """norm_error between numbers; between values that are not numbers (None, a mode string)
    0 when they are equal and inf otherwise, so a state the student never stored (None)
    matches a prediction that it is missing."""
    if to_array(a) is None or to_array(b) is None:
        same = a is None and b is None or (type(a) is type(b) and isinstance(a, str) and a == b)
        return 0.0 if same else float("inf")
    return norm_error(a, b)


class Case:
    def __init__(self, function: str, inputs: dict, got: dict, expected: dict, tolerance: float):
        self.function = function
        self.inputs = inputs or {}
        self.got = flatten(got or {})
        self.expected = flatten(expected or {})
        self.tolerance = float(tolerance)
        self.match_tolerance = max(self.tolerance, MATCH_FLOOR)

    # ---------------------------------------------------------------- outputs

    def array(self, key: str) -> np.ndarray | None:
        return to_array(self.got.get(key))

    def expected_array(self, key: str) -> np.ndarray | None:
        return to_array(self.expected.get(key))

    def right(self, key: str) -> bool:
        """The student's `key` matches the reference (True when either side lacks it)."""
        if key not in self.got or key not in self.expected:
            return True
        return close(self.got[key], self.expected[key], self.tolerance)

    def near(self, key: str, value) -> bool:
        """The student's `key` equals `value` within the tolerance (norm-relative)."""
        return key in self.got and distance(self.got[key], value) <= self.match_tolerance

    def got_is(self, key: str, value) -> bool:
        """`value` (a mistake's prediction) explains the student's `key`: equal within the
        tolerance, and far closer to it than the reference's value is."""
        if key not in self.got:
            return False
        apart = distance(self.got[key], value)
        if apart > self.match_tolerance:
            return False
        return key not in self.expected or distance(self.got[key], self.expected[key]) > CLOSER * apart

    def explains(self, outputs: dict) -> bool:
        """A variant's outputs match every output of the student they cover, and explain at
        least one of the wrong ones."""
        keys = [key for key in outputs if key in self.got]
        if not keys or not all(self.near(key, outputs[key]) for key in keys):
            return False
        return any(key in self.wrong_keys and self.got_is(key, outputs[key]) for key in keys)

    @cached_property
    def wrong_keys(self) -> list[str]:
        return [key for key in self.expected if not self.right(key)]

    def others_right(self, *explained: str) -> bool:
        """Every output not in `explained` is right."""
        return all(key in explained for key in self.wrong_keys)

    # ---------------------------------------------------------------- inputs

    def input(self, name: str, default=None):
        return self.inputs.get(name, default)

    def input_array(self, name: str) -> np.ndarray | None:
        return to_array(self.inputs.get(name))

    @cached_property
    def layout(self) -> Layout | None:
        """The normalization layout, for the normalization functions given x and gamma."""
        if family(self.function) is None or "x" not in self.inputs or "gamma" not in self.inputs:
            return None
        try:
            return Layout(self.function, self.inputs)
        except (ValueError, TypeError, KeyError):
            return None
