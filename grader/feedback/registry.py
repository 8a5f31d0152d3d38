"""Where the recognizers of the catalogue live, by the name a catalogue entry gives in `check`.

Three kinds, all pure functions of plain values, run in the grader's process:

- a *variant* computes what one known mistake outputs on the test's inputs:
  ``variant(function, inputs) -> {output name: array} | [such dicts] | None``
  (a list when the mistake has a few common spellings; None when it does not apply);
- a *signature* tests an exact relation in the numbers: ``signature(case) -> bool``
  (`case` is a grader.feedback.case.Case);
- an *exception* pattern recognizes an error the student's code raised:
  ``pattern(function, error_type, message, inputs) -> bool``.

These implementations of wrong code are the grader's own and are never shown to students.
"""
from __future__ import annotations

from typing import Callable

VARIANTS: dict[str, Callable] = {}
SIGNATURES: dict[str, Callable] = {}
EXCEPTIONS: dict[str, Callable] = {}


def _register(table: dict, name: str):
    def add(function):
        if name in table:
            raise ValueError("recognizer %r registered twice" % name)
        table[name] = function
        return function
    return add


def variant(name: str):
    return _register(VARIANTS, name)


def signature(name: str):
    return _register(SIGNATURES, name)


def exception_pattern(name: str):
    return _register(EXCEPTIONS, name)


def table_for(kind: str) -> dict:
    return {"variant": VARIANTS, "signature": SIGNATURES, "exception": EXCEPTIONS}[kind]
