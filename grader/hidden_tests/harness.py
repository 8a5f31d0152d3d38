"""What the hidden tests share: the catalogue entry, asking the student's process, running
the reference in the grader's process, numerical gradients of the student's own forward,
and the two generic checks (a forward against the reference; a backward against the
reference and, when it fails, against the numerical gradient of the student's forward).
"""
from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from grader.feedback import diagnose_error, stored
from grader.hidden_tests.reference import never_draws
from grader.hidden_tests.checks import (
    as_array, compare, describe_inputs, failed_check, found, outcome, with_diagnosis)
from grader.hidden_tests.student_process import Reply
from grader.results import Finding, Outcome, TestResult, Verdict

MAX_NUMERIC_CALLS = 4000     # perturbed evaluations one numerical gradient may ask for


@dataclass(frozen=True)
class HiddenTest:
    """One catalogue entry; run(student, rng, reference, settings) -> TestResult (unnamed)."""

    function: str     # graded unit, exactly as in the spec ("batchnorm_forward", "adam", ...)
    what: str         # what this test checks, after "<function>: " in the test name
    group: str        # rubric group: points, tolerance, timeout, visibility
    run: Callable


    def __call__(self, *args):
        return self.run(*args)


def hidden_test(function: str, what: str, group: str | None = None):
    """Decorator making a test function a catalogue entry (catalogue.py collects a family
    module's entries in source order; nothing is registered anywhere on import)."""
    return lambda run: HiddenTest(function, what, group or function, run)


# --------------------------------------------------------------------------- student side


OUTCOME_OF_STATUS = {"raised": Outcome.RAISED, "timeout": Outcome.TIMEOUT, "died": Outcome.DIED,
                     "protocol": Outcome.PROTOCOL, "unavailable": Outcome.NOT_LOADED}


class StudentCallFailed(Exception):
    """A request to the student's process got no usable answer; the test ends with it
    (run_one turns it into the test's result)."""

    def __init__(self, function: str, reply: Reply, header: str = ""):
        super().__init__(reply.message)
        self.function, self.reply, self.header = function, reply, header

    def result(self) -> TestResult:
        result = found(False, OUTCOME_OF_STATUS.get(self.reply.status, Outcome.RAISED),
                       header=self.header, notes=[self.reply.message], where=self.function,
                       status=self.reply.status, error=self.reply.error or None)
        if self.reply.status == "raised" and self.reply.error.get("type"):
            result.data["diagnosis"] = stored.to_data(diagnose_error(
                self.function, self.reply.error["type"], self.reply.error.get("message", "")))
        return result


def ask(student, settings: dict, op: dict, *, function: str = "", header: str = "",
        raw: bool = False) -> Reply:
    """One request with the time left before this test's deadline; the child seeds the
    student's global generators with the test's child_seed first. A reply that is not ok
    raises StudentCallFailed (naming `function`, else the requested function), unless
    `raw`: then the caller looks at it."""
    left = settings.deadline - time.monotonic()
    reply = student.request({**op, "np_seed": settings.child_seed}, timeout=max(0.5, left))
    if not reply.ok and not raw:
        raise StudentCallFailed(function or op.get("function", ""), reply, header)
    return reply


def call(student, settings, function, args, *, module="layers", pick=None, kwargs=None,
         header: str = "", raw: bool = False) -> Reply:
    return ask(student, settings, {"op": "call", "module": module, "function": function,
                                   "args": list(args), "kwargs": kwargs or {}, "pick": pick},
               function=function, header=header, raw=raw)


def forward_backward(student, settings, forward, backward, args, dout, *, module="layers",
                     header: str = "") -> Reply:
    """The student's forward then backward on its own cache; a failure names whichever failed."""
    reply = ask(student, settings, {"op": "forward_backward", "module": module, "forward": forward,
                                    "backward": backward, "args": list(args), "dout": dout}, raw=True)
    if not reply.ok:
        failing = forward if reply.error.get("where") == forward else backward
        raise StudentCallFailed(failing, reply, header)
    return reply


# --------------------------------------------------------------------------- reference side


@contextlib.contextmanager
def global_rng_kept():
    """The reference's dropout calls np.random.seed: keep the grader's global state intact."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def reference_call(function, args, kwargs=None):
    """Call a reference function on deep copies; returns (result, the copies afterwards).
    NumPy's global generator is kept as it was unless the function cannot reach it
    (reference.never_draws; a callable argument might, whatever the function)."""
    args, kwargs = copied(list(args)), copied(kwargs or {})
    if never_draws(function) and not any(map(callable, args)) \
            and not any(map(callable, kwargs.values())):
        return function(*args, **kwargs), args
    with global_rng_kept():
        result = function(*args, **kwargs)
    return result, args


def copied(value, memo=None):
    """copy.deepcopy(value, memo), faster on what the hidden tests pass around (arrays,
    dicts, lists, tuples, numbers, strings): the same copies, an object met twice copied once.
    Anything else (arrays of a subclass, NumPy scalars, objects) goes to copy.deepcopy with
    the same memo."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if memo is None:
        memo = {}
    done = memo.get(id(value), _NOT_YET)
    if done is not _NOT_YET:
        return done
    if kind is np.ndarray:
        result = memo[id(value)] = value.__deepcopy__(memo)   # what copy.deepcopy calls
    elif kind is list:
        result = memo[id(value)] = []
        for item in value:
            result.append(item if type(item) in _ATOMIC else copied(item, memo))
    elif kind is dict:
        result = memo[id(value)] = {}
        for key, item in value.items():
            result[key if type(key) in _ATOMIC else copied(key, memo)] = \
                item if type(item) in _ATOMIC else copied(item, memo)
    elif kind is tuple:
        items = [copied(item, memo) for item in value]
        done = memo.get(id(value), _NOT_YET)     # (reached again through its own items)
        if done is not _NOT_YET:
            return done
        if all(new is old for new, old in zip(items, value)):
            return value
        result = memo[id(value)] = tuple(items)
    else:
        return copy.deepcopy(value, memo)
    # (copy.deepcopy also keeps each original alive in the memo, so that no id in it is
    # reused while it copies: these originals are held by `value`'s caller all along)
    return result


_ATOMIC = frozenset({type(None), bool, int, float, complex, str, bytes})
_NOT_YET = object()


def reference_forward_backward(module, forward, backward, args, dout):
    """(out, gradients as a tuple) of the reference on copies of the inputs."""
    result, _ = reference_call(getattr(module, forward), args)
    out, cache = result
    gradients = getattr(module, backward)(np.array(dout, copy=True), cache)
    return out, gradients if isinstance(gradients, tuple) else (gradients,)


# --------------------------------------------------------------------------- numerical gradients


def step_size(value) -> float:
    """Central-difference step scaled to the input: small inputs need a small step."""
    scale = float(np.std(value)) if np.size(value) > 1 else float(np.abs(value).max(initial=1.0))
    return 1e-5 * min(1.0, max(1e-3, scale))


def perturbed(base: np.ndarray, h: float):
    """Copies of `base` with one entry moved by +h, then by -h, entry after entry."""
    for flat in range(base.size):
        for sign in (1.0, -1.0):
            moved = base.copy()
            moved.flat[flat] += sign * h
            yield moved


def central_differences(outputs, plan, dout=1.0) -> dict:
    """Gradients from the outputs of perturbed() inputs, in the order of `plan`
    ([(name, shape, h)]), each output contracted with the upstream gradient dout."""
    dout = np.asarray(dout, dtype=float)
    gradients, cursor = {}, 0
    for name, shape, h in plan:
        size = int(np.prod(shape, dtype=int))
        values = np.asarray(outputs[cursor:cursor + 2 * size], dtype=float)
        with np.errstate(invalid="ignore", over="ignore"):
            differences = (values[0::2] - values[1::2]) * dout
        gradients[name] = (differences.reshape(size, -1).sum(axis=1) / (2 * h)).reshape(shape)
        cursor += 2 * size
    return gradients


def numerical_gradients(student, settings, function, args, wrt: dict, dout, *,
                        module="layers", pick=0):
    """Numerical gradients of the student's own `function` (its output `pick`, contracted
    with dout) with respect to the arguments named in `wrt` ({name: argument index}).
    The grader sends the perturbed inputs and differences the outputs itself.
    Returns ({name: gradient}, None) or (None, a sentence saying why there is none)."""
    plan, calls = [], []
    for name, index in wrt.items():
        base = np.asarray(args[index], dtype=float)
        h = step_size(base)
        calls += [{"args": [moved if i == index else a for i, a in enumerate(args)]}
                  for moved in perturbed(base, h)]
        plan.append((name, base.shape, h))
    if len(calls) > MAX_NUMERIC_CALLS:
        return None, "the input is too large for a numerical gradient"
    reply = ask(student, settings, {"op": "call_many", "module": module, "function": function,
                                    "calls": calls, "pick": pick}, raw=True)
    if not reply.ok:
        return None, "your %s could not be evaluated on perturbed inputs (%s)" % (
            function, reply.message.splitlines()[0] if reply.message else reply.status)
    outputs = reply.result["results"]
    for value in outputs:
        array, _ = as_array(value)
        if array is None or array.shape != np.shape(dout):
            return None, "your %s does not return an output of shape %s" % (function, np.shape(dout))
    gradients = central_differences(outputs, plan, dout)
    if not all(np.isfinite(g).all() for g in gradients.values()):
        return None, "your %s returns nan or inf near these inputs" % function
    return gradients, None


# --------------------------------------------------------------------------- generic checks


def check_forward(student, reference, settings, function, args, names, *,
                  module="layers", written_back: dict | None = None, own=None) -> TestResult:
    """Student's out (result[0]) against the reference's on the same inputs; written_back
    ({argument index: [keys]}) also compares what both left in dict arguments. `own`
    (grader/hidden_tests/dependencies.py) judges a failure against the student's own
    lower-level functions: own(student, reference, settings, result, args, reply_result)."""
    header = "Compared the output of your %s with the reference on %s." % (
        function, describe_inputs(**dict(zip(names, args))))
    reply = call(student, settings, function, args, module=module, pick=0, header=header)
    expected, ref_args = reference_call(getattr(getattr(reference, module), function), args)
    checks = [compare("out", reply.result["result"], expected[0], settings.tolerance)]
    got, wanted = {"out": reply.result["result"]}, {"out": expected[0]}
    for index, keys in (written_back or {}).items():
        after = reply.result["args_after"][index]
        for key in keys:
            checks.append(compare_key(names[index], after, key, ref_args[index][key], settings))
            got[key] = after.get(key) if isinstance(after, dict) else None
            wanted[key] = ref_args[index][key]
    result = outcome(header, checks)
    if own is not None and not result.passed:
        result = own(student, reference, settings, result, args, reply.result)
    return with_diagnosis(result, function, dict(zip(names, args)), got, wanted,
                          settings.tolerance)


def compare_key(owner: str, mapping, key: str, expected, settings) -> Finding:
    """mapping[key] against expected, with a clear line when the key or the dict is missing."""
    name = "%s[%r]" % (owner, key)
    if not isinstance(mapping, dict):
        return failed_check(name, "%s is not a dict after the call" % owner)
    if key not in mapping:
        return failed_check(name, "missing after the call: write it back into %s" % owner)
    return compare(name, mapping[key], expected, settings.tolerance)


def check_backward(student, rng, reference, settings, *, forward, backward, args, names,
                   wrt: dict, module="layers", own=None) -> TestResult:
    """The student's backward (fed by the student's own forward's cache) against the
    reference's; when that fails, the numerical gradient of the student's forward tells a
    wrong forward from a wrong backward. wrt: {gradient name: argument index}, in the
    order the backward returns the gradients. `own` (grader/hidden_tests/dependencies.py)
    then judges the failure against the student's own lower-level functions:
    own(student, reference, settings, result, args, gradients, dout, student_out)."""
    ref_module = getattr(reference, module)
    (out, _), _ = reference_call(getattr(ref_module, forward), args)
    dout = rng.standard_normal(np.shape(out))
    ref_out, expected = reference_forward_backward(ref_module, forward, backward, args, dout)
    header = "Ran your %s then your %s on %s with a random upstream gradient dout %s." % (
        forward, backward, describe_inputs(**dict(zip(names, args))), np.shape(dout))
    try:
        reply = forward_backward(student, settings, forward, backward, args, dout, module=module,
                                 header=header)
    except StudentCallFailed as failure:    # judge the backward alone, on a right cache
        from grader.hidden_tests.dependencies import on_built_cache
        from grader.hidden_tests.right_cache import on_right_cache
        judged = on_built_cache(student, settings, failure, forward, backward, args, dout,
                                expected, wrt)
        if judged is None and failure.reply.status == "raised":
            judged = on_right_cache(student, reference, settings, failure.result(),
                                    forward=forward, backward=backward, args=args, dout=dout,
                                    expected=expected, names=wrt, module=module,
                                    raised=failure.function == forward)
        if judged is None:
            raise
        return judged
    got = reply.result["backward"]
    if len(wrt) == 1 and not isinstance(got, tuple):
        got = (got,)
    if not isinstance(got, tuple) or len(got) != len(wrt):
        if got is None:
            return outcome(header, [compare(", ".join(wrt), None, 0.0, 1.0)])
        count = "%d values" % len(got) if isinstance(got, tuple) else "a %s" % type(got).__name__
        return found(False, Outcome.BAD_RETURN, header=header, where=backward, returned=count,
                     expected=list(wrt))
    tolerance = settings.tolerance
    checks = [compare(name, value, ref, tolerance) for name, value, ref in zip(wrt, got, expected)]
    if all(check.ok for check in checks) or any(check.verdict is Verdict.NONE for check in checks):
        result = outcome(header, checks)
    else:
        result = diagnose(student, settings, header, checks, got, reply.result["forward"], ref_out,
                          forward, args, wrt, dout, module)
        judged = result
        if own is not None:
            judged = own(student, reference, settings, result, args, got, dout,
                         reply.result["forward"])
        if judged.outcome is not Outcome.RELIES_ON_WRONG and not forward_ok(result):
            from grader.hidden_tests.right_cache import on_right_cache
            judged = on_right_cache(student, reference, settings, result, forward=forward,
                                    backward=backward, args=args, dout=dout, expected=expected,
                                    names=wrt, module=module) or judged
        result = judged
    return with_diagnosis(result, backward, {**dict(zip(names, args)), "dout": dout},
                          dict(zip(wrt, got)), dict(zip(wrt, expected)), tolerance)


def forward_ok(result: TestResult) -> bool:
    """Whether diagnose() found the student's forward right (no such finding: right)."""
    return all(f.ok for f in result.findings if f.role == "forward")


def diagnose(student, settings, header, checks, got, student_out, ref_out, forward, args,
             wrt, dout, module, labels=("forward", "backward")) -> TestResult:
    """Add the verdict of a numerical gradient of the student's own forward. `checks`
    compared the gradients `got` (ordered like wrt) with the reference."""
    forward_check = compare(labels[0], student_out, ref_out, settings.tolerance)
    forward_check.role = "forward"
    numeric, why_not = (None, "it returned None") if student_out is None else \
        numerical_gradients(student, settings, forward, args, wrt, dout, module=module)
    if numeric is None:
        return outcome(header, checks + [forward_check], labels=list(labels),
                       no_numeric_gradient=why_not)
    numeric_checks = [compare(name, value, numeric[name], settings.numeric_tolerance, metric="norm")
                      for name, value in zip(wrt, got)]
    for check in numeric_checks:
        check.role = "numeric"
    consistent = all(check.ok for check in numeric_checks)
    if forward_check.ok and not consistent:
        verdict = Outcome.BACKWARD_WRONG
    elif consistent and forward_check.ok:
        verdict = Outcome.IMPRECISE
    elif consistent:
        verdict = Outcome.FORWARD_WRONG
    else:
        verdict = Outcome.BOTH_WRONG
    return outcome(header, checks + [forward_check] + numeric_checks, outcome=verdict,
                   labels=list(labels))
