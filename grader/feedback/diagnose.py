"""Naming the mistake behind a failing test, from the numbers alone, in the grader's process.

    diagnose(function, inputs, got, expected, tolerance) -> Diagnosis
    diagnose_error(function, error_type, message, inputs) -> Diagnosis

`got` and `expected` hold the student's and the reference's outputs by name (nested dicts and
lists are flattened to "grads/W1", "bn_params/0/running_var"); `inputs` the values the hidden
test gave the student's code, by name:

    affine_*, relu_*, softmax_loss   x, w, b, y; a backward also dout    -> out | dx, dw, db | loss, dx
    *norm*_forward                   x, gamma, beta, bn_param | ln_param | G, gn_param -> out,
                                     and for batch norm running_mean, running_var (as left in bn_param)
    a sequence of batch norm calls   {"bn_param": first, "steps": [{x, gamma, beta, mode}, ...]}
                                     -> out (last call), earlier_outs (list), running_mean, running_var
    *norm*_backward                  the forward's inputs and dout       -> dx, dgamma, dbeta
    dropout_forward                  x, dropout_param -> out; expected {} in train mode (it is
                                     checked by its properties), {"out": x} in test mode
    dropout_backward                 x, dropout_param, dout, and "out": the student's own forward
                                     output -> dx (expected: dout where out is non-zero, over p)
    sgd_momentum, rmsprop, adam      w, dws (one gradient per step), config (the first) ->
                                     next_w after the last step, velocity | cache | m, v, t
    FullyConnectedNet                init (constructor keywords), runs ([{params, X, y, bn_params}])
                                     -> the last run's loss, grads, scores, bn_params; for the
                                     initial parameters runs = [] and got {"params": ...}

Every catalogued mistake of the function is tried (a variant: its outputs computed on the same
inputs; a signature: an exact relation in the numbers); a mistake is named only when exactly
one matches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.feedback.case import Case
from grader.feedback.catalogue import Catalogue, Mistake, load_catalogue
from grader.feedback.evidence import OutputEvidence, evidence
from grader.feedback.registry import EXCEPTIONS, SIGNATURES, VARIANTS


@dataclass(frozen=True)
class Diagnosis:
    """What a failing test shows. `mistake` is the one catalogued mistake that matched, or
    None; `candidates` lists every id that matched (several: none is named). `evidence` is
    what the numbers show, one entry per output; `error` the (type, message) a call raised."""

    function: str
    mistake: Mistake | None
    candidates: tuple[str, ...]
    evidence: tuple[OutputEvidence, ...] = ()
    error: tuple[str, str] | None = None

    @property
    def mistake_id(self) -> str | None:
        return self.mistake.id if self.mistake else None

    def teaching(self, catalogue: Catalogue | None = None):
        """(knowledge point, notebook, section, guiding question as Text): the mistake's when
        one is named, else the function's table entry."""
        catalogue = catalogue or load_catalogue()
        if self.mistake:
            m = self.mistake
            return catalogue.knowledge[m.knowledge], m.notebook, m.section, m.question
        point = catalogue.functions[self.function]
        return catalogue.knowledge[point.knowledge], point.notebook, point.section, point.question


def _variant_matches(case: Case, check: str) -> bool:
    try:
        predicted = VARIANTS[check](case.function, case.inputs)
    except Exception:    # noqa: BLE001 — the mistake cannot be computed on these inputs
        return False
    if predicted is None:
        return False
    options = predicted if isinstance(predicted, list) else [predicted]
    for option in options:
        if option is None:
            continue
        flat = Case(case.function, {}, option, {}, case.tolerance).got
        # the variant explains what it models, and it models every wrong output
        if case.explains(flat) and all(key in flat for key in case.wrong_keys):
            return True
    return False


def _signature_matches(case: Case, check: str) -> bool:
    # The student's values may be anything (strings, objects, ragged lists): a relation that
    # cannot be evaluated on them does not hold, and the diagnosis goes on.
    try:
        return bool(SIGNATURES[check](case))
    except Exception:    # noqa: BLE001
        return False


def matching_mistakes(case: Case, catalogue: Catalogue | None = None) -> list[Mistake]:
    """Every catalogued mistake of the case's function whose variant or signature matches."""
    found = []
    for mistake in (catalogue or load_catalogue()).for_function(case.function):
        if mistake.recognized_by == "variant" and _variant_matches(case, mistake.check):
            found.append(mistake)
        elif mistake.recognized_by == "signature" and _signature_matches(case, mistake.check):
            found.append(mistake)
    return found


def _named(function, matches, shown, error=None) -> Diagnosis:
    ids = tuple(m.id for m in matches)
    return Diagnosis(function, matches[0] if len(matches) == 1 else None, ids, shown, error)


def diagnose(function: str, inputs: dict, got: dict, expected: dict, tolerance: float,
             catalogue: Catalogue | None = None) -> Diagnosis:
    """The diagnosis of one failing test of `function` (see the module's docstring)."""
    case = Case(function, inputs, got, expected, tolerance)
    with np.errstate(all="ignore"):     # overflowing student values are evidence, not warnings
        shown = evidence(case.got, case.expected, tolerance)
        return _named(function, matching_mistakes(case, catalogue), shown)


def diagnose_error(function: str, error_type: str, message: str, inputs: dict | None = None,
                   catalogue: Catalogue | None = None) -> Diagnosis:
    """The diagnosis of a call of `function` that raised `error_type` with `message` (as the
    student's process reports them, e.g. "ValueError", "axes don't match array")."""
    matches = []
    for mistake in (catalogue or load_catalogue()).for_function(function):
        names = [mistake.check] if mistake.recognized_by == "exception" else []
        names += [mistake.exception] if mistake.exception else []
        if any(_exception_matches(name, function, error_type, message, inputs) for name in names):
            matches.append(mistake)
    return _named(function, matches, (), (str(error_type), str(message)))


def _exception_matches(name, function, error_type, message, inputs) -> bool:
    try:
        return bool(EXCEPTIONS[name](function, str(error_type), str(message or ""), inputs or {}))
    except Exception:    # noqa: BLE001
        return False
