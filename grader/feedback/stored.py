"""A diagnosis as plain data for the results model, and back.

The hidden tests diagnose in the grader's process, where the arrays are; the model keeps only
what the report needs to say it again (the mistake's id, the candidates, what the numbers show,
the error), so a report can be rendered in any language from the model alone.
"""
from __future__ import annotations

from dataclasses import asdict

from grader.feedback.catalogue import load_catalogue
from grader.feedback.diagnose import Diagnosis
from grader.feedback.evidence import OutputEvidence

_TUPLES = ("worst", "shape", "expected_shape")


def to_data(diagnosis: Diagnosis) -> dict:
    return {"function": diagnosis.function, "mistake": diagnosis.mistake_id,
            "candidates": list(diagnosis.candidates),
            "evidence": [{k: list(v) if k in _TUPLES and v is not None else v
                          for k, v in asdict(e).items()} for e in diagnosis.evidence],
            "error": list(diagnosis.error) if diagnosis.error else None}


def from_data(data: dict) -> Diagnosis:
    catalogue = load_catalogue()
    mistake = catalogue.mistake(data["mistake"]) if data.get("mistake") else None
    evidence = tuple(OutputEvidence(**{k: tuple(v) if k in _TUPLES and v is not None else v
                                       for k, v in e.items()}) for e in data.get("evidence", []))
    error = tuple(data["error"]) if data.get("error") else None
    return Diagnosis(data["function"], mistake, tuple(data.get("candidates", [])), evidence, error)
