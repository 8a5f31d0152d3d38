"""A backward judged on the cache a RIGHT forward writes, when the student's forward is wrong
or raises: a backward whose only fault is its forward keeps its points (the rubric's
dependency_credit), and the report names the forward.

Why not the numerical gradient of the student's own forward? The grader computes it anyway
(harness.diagnose; a backward matching it is FORWARD_WRONG, scored with backward_credit), but
a right backward is NOT the gradient of a forward that is wrong in its structure: a forward
normalizing over the wrong axis, over interleaved or swapped groups, or over one-element sets
(x_hat all 0, the forward constant in x) hands the right backward a cache it turns into
numbers that are the gradient of no function. Being the gradient of one's own wrong forward
is not being right either: a backward that makes the same axis mistake as its forward matches
that forward's gradient and stays wrong once the forward is fixed. What makes a backward right
is what it does with a right cache.

The cache a right forward writes is the reference forward's, on the test's own input. It is
used only when the student's forward writes the same layout: the cache the student's forward
returns (on the test's input, or, when it raises there, on a probe input where it runs: the
first example alone, then also one group) is a sequence of the same length holding the same
kinds of values at the same places (arrays, numbers, dicts, ...). Shapes and values are not
compared: they are what a wrong forward gets wrong (per-row statistics of shape (N, 1) where
the reference keeps (D,)). The backward, called on that cache with the test's dout, must give
the reference's gradients within the test's tolerance: a backward wrong on its own never
does, whatever its forward.

The forward must be wrong (its output differs from the reference's) or raise: a forward whose
output is right but whose cache the backward misreads is the pair's fault, and crediting the
backward would charge the mistake to no one.
"""
from __future__ import annotations

import time

import numpy as np

from grader.hidden_tests.checks import compare
from grader.hidden_tests.harness import call, reference_call
from grader.results import TestResult


def kind(value):
    """What a cache holds, without shapes or values: sequences by length and their items'
    kinds, arrays (of one dimension or more), numbers, dicts, None, other types by name."""
    if isinstance(value, (tuple, list)):
        return ("sequence",) + tuple(kind(item) for item in value)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return "array"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, float, np.number, np.ndarray)):
        return "number"
    if isinstance(value, dict):
        return "dict"
    return "none" if value is None else type(value).__name__


def probes(args):
    """Inputs on which a forward that raises on the test's input may run: the first example
    alone (a statistic missing keepdims then broadcasts), then also with every integer
    argument (the number of groups) set to 1."""
    x = np.asarray(args[0])
    if x.ndim < 2 or x.shape[0] < 2:
        return
    yield [x[:1]] + list(args[1:])
    if any(type(a) is int for a in args[1:]):
        yield [x[:1]] + [1 if type(a) is int else a for a in args[1:]]


def students_cache(student, settings, forward, args, module, raised, reference_out):
    """The cache the student's forward returns, on the test's input when it runs there and its
    output is wrong, else (`raised`) on the first probe where it runs; None otherwise."""
    for inputs in probes(args) if raised else [args]:
        reply = call(student, settings, forward, inputs, module=module, raw=True)
        value = reply.result.get("result") if reply.ok else None
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            continue
        if not raised and compare("out", value[0], reference_out, settings.tolerance).ok:
            return None         # the forward is right here: the fault is the backward's
        return value[1]
    return None


def on_right_cache(student, reference, settings, result: TestResult, *, forward, backward,
                   args, dout, expected, names, module="layers", raised=False) -> TestResult | None:
    """`result` turned RELIES_ON_WRONG (naming `forward`) when the student's forward is wrong
    (or `raised` on args), writes the reference's cache layout, and the student's backward
    gives the `expected` gradients (named `names`) on the reference's cache for `args`.
    None otherwise: the failure stands."""
    from grader.hidden_tests.dependencies import backward_right_on, relies_on
    if time.monotonic() > settings.deadline:
        return None
    reference_forward = getattr(getattr(reference, module), forward)
    (reference_out, cache), _ = reference_call(reference_forward, args)
    theirs = students_cache(student, settings, forward, args, module, raised, reference_out)
    if theirs is None or kind(theirs) != kind(cache):
        return None
    own = backward_right_on(student, settings, backward, dout, cache, expected, names, module)
    if own is None or time.monotonic() > settings.deadline:
        return None
    judged = relies_on(result, own, [forward], "right_cache")
    judged.data.pop("diagnosis", None)  # what the backward did with a wrong cache names nothing
    return judged
