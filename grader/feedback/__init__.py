"""Diagnosis, not a checklist: name the mistake behind a failing hidden test and teach its
knowledge point, without code, in English and Chinese.

    diagnose(function, inputs, got, expected, tolerance) -> Diagnosis
    diagnose_error(function, error_type, message, inputs) -> Diagnosis
    render(diagnosis, lang) -> str                 lang: "en", "zh" or "both"
    sections(diagnosis, lang) -> [(heading, text)]
    contains_code(text) -> bool
    load_catalogue().ui[lang]                      report headings ("Passed tests", ...)

For example, a softmax loss summed over the batch instead of averaged:

    result = diagnose("softmax_loss", {"x": x, "y": y}, {"loss": mine, "dx": my_dx},
                      {"loss": theirs, "dx": their_dx}, tolerance=1e-7)
    result.mistake_id            # "softmax_loss_summed"
    result.evidence[0].factor    # N: every entry of the loss is N times the expected value
    print(render(result, "both"))

The catalogue is data (knowledge.toml, mistakes.toml); the recognizers that compute what each
mistake outputs (variants/) or test exact relations in the numbers (signatures/) run in the
grader's process on plain arrays and are never shown to students.
"""
from grader.feedback.catalogue import load_catalogue
from grader.feedback.codecheck import contains_code
from grader.feedback.diagnose import Diagnosis, diagnose, diagnose_error
from grader.feedback.render import render, sections

__all__ = ["Diagnosis", "contains_code", "diagnose", "diagnose_error", "load_catalogue", "render",
           "sections"]
