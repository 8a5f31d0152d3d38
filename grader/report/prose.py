"""The words of a test's output, written from its findings: what was run, one line per compared
quantity, what the numerical gradient of the student's own forward says, notes, and the
knowledge point to look at. Every renderer (results.json, report.md/html, JUnit) shows this
text; the tests themselves only return findings.
"""
from __future__ import annotations

from grader.feedback import Diagnosis, sections, stored
from grader.feedback.catalogue import load_catalogue
from grader.report.i18n import say
from grader.report.sentences import translated
from grader.results import Finding, Outcome, TestResult, Verdict



def fmt(value) -> str:
    """A short rendering of a number for the student."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return repr(value)
    return "%.6g" % value


def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def finding_text(f: Finding, lang: str = "en") -> str:
    """What was found about one quantity, after its name ("en" or "zh")."""
    if f.verdict is Verdict.NONE:
        return say("stub", lang)
    if f.verdict in (Verdict.NOT_NUMBERS, Verdict.NOTE):
        return translated(f.text, lang)
    if f.verdict is Verdict.EXACT:
        return f.text + ("" if f.ok else say("f_expected", lang, expected=f.expected_text))
    if f.verdict is Verdict.SHAPE:
        text = say("f_shape", lang, shape=shape_text(f.shape), expected=shape_text(f.expected_shape))
        if _size(f.shape) == _size(f.expected_shape):
            text += say("f_same_size", lang)
        return text
    m = f.first_mismatch
    if f.verdict is Verdict.NON_FINITE:
        index = tuple(m.index)
        return say("f_non_finite", lang, value=fmt(m.yours), expected=fmt(m.expected),
                   at=say("f_at_index", lang, index=index) if index else "")
    text = say("f_within" if f.ok else "f_above", lang, error="%.2e" % f.rel_error,
               tolerance="%.0e" % f.tolerance,
               label=say("f_norm_error" if f.metric == "norm" else "f_rel_error", lang))
    if f.shape is not None:
        text = say("f_shape_then", lang, shape=shape_text(f.shape)) + text
    if m is not None:
        index = tuple(m.index)
        text += say("f_mismatch", lang, yours=fmt(m.yours), expected=fmt(m.expected),
                    where=say("f_first_mismatch", lang, index=index) if index else say("f_the_value", lang))
    return text


def finding_line(f: Finding, lang: str = "en") -> str:
    return "%s: %s" % (translated(f.quantity, lang), finding_text(f, lang))


def _size(shape) -> int:
    size = 1
    for n in shape or ():
        size *= n
    return size


# ---- a test's output ----------------------------------------------------------------------

FAILED_CALL = {Outcome.RAISED: "call_raised", Outcome.TIMEOUT: "call_timeout", Outcome.DIED: "call_died"}
VERDICTS = {Outcome.BACKWARD_WRONG: "verdict_backward_wrong", Outcome.IMPRECISE: "verdict_imprecise",
            Outcome.FORWARD_WRONG: "verdict_forward_wrong", Outcome.BOTH_WRONG: "verdict_both_wrong"}


def output_of(t: TestResult, lang: str = "en") -> str:
    """The whole text of one test's output, as the student reads it (before visibility); in
    "both", a hidden test's output in English, then in Chinese."""
    if t.function.startswith("notebook "):
        return notebook_output(t, lang)
    if t.function.startswith("answer "):
        return answer_output(t, lang)
    if lang == "both":
        english, chinese = output_of(t, "en"), output_of(t, "zh")
        return english if english == chinese else english + "\n\n" + chinese
    lines = [translated(t.header, lang)] if t.header else []
    if t.outcome is Outcome.NOT_RUN:
        return say(NOT_RUN[t.data.get("not_run", "before")], lang, what=say("a_test", lang))
    lines += adaptation_notes(t, lang)
    if t.outcome is Outcome.GRADER_ERROR:
        return say("grader_error", lang, error=t.notes[0] if t.notes else "")
    if t.outcome in FAILED_CALL or t.outcome in (Outcome.PROTOCOL, Outcome.NOT_LOADED):
        message = translated(t.notes[0], lang) if t.notes else ""
        if t.outcome in FAILED_CALL:
            message = say(FAILED_CALL[t.outcome], lang, where=t.data.get("where", ""), message=message)
        return "\n".join(lines + [message] + _contract(t, lang))
    if t.outcome is Outcome.BAD_RETURN:
        return "\n".join(lines + [say("bad_return", lang, where=t.data.get("where"),
                                       returned=t.data.get("returned"),
                                       expected=", ".join(t.data.get("expected", [])))])
    lines += ["  " + finding_line(f, lang) for f in t.scored]
    lines += _accepted(t, lang)
    lines += _gradient_verdict(t, lang)
    lines += _dependency_verdict(t, lang)
    lines += _contract(t, lang)
    lines += [translated(note, lang) for note in t.notes]
    return "\n".join(lines)


def adaptation_notes(t: TestResult, lang: str = "en") -> list[str]:
    """What was done for code written for an older CS231n starter (data["starter_adaptations"],
    from grader/hidden_tests/network.py): keywords passed under that starter's names, or its
    given batch-norm mode line read as it was meant."""
    if lang == "both":   # each language with its own wording of the dropout meaning
        return [en + "\n" + zh for en, zh in zip(adaptation_notes(t, "en"), adaptation_notes(t, "zh"))]
    lines = []
    for k in t.data.get("starter_adaptations") or []:
        if k.get("kind") == "bn_mode_line":
            lines.append(say("starter_mode_line", lang, starter=k.get("starter")))
            continue
        ours = "%s=%r" % (k.get("given"), k.get("value"))
        if k.get("as") is None:
            lines.append(say("keyword_missing", lang, starter=k.get("starter"), ours=ours))
            continue
        meaning = ""
        if k.get("as") == "dropout":
            meaning = say("keyword_dropout_drop" if k.get("starter") == "2017"
                          else "keyword_dropout_keep", lang)
        lines.append(say("keyword_translated", lang, starter=k.get("starter"), ours=ours,
                         theirs="%s=%r" % (k.get("as"), k.get("as_value")), meaning=meaning))
    return lines


def _gradient_verdict(t: TestResult, lang: str) -> list[str]:
    """What the numerical gradient of the student's own forward says about a failed backward."""
    forward = next((f for f in t.findings if f.role == "forward"), None)
    if forward is None:
        return []
    fwd, bwd = (translated(label, lang) for label in t.data.get("labels", ("forward", "backward")))
    lines = [say("forward_vs_reference", lang, fwd=fwd, text=finding_text(forward, lang))]
    if "no_numeric_gradient" in t.data:
        return lines + [say("no_numeric_gradient", lang, fwd=fwd,
                            why=translated(t.data["no_numeric_gradient"], lang))]
    lines.append(say("against_numeric", lang, fwd=fwd, bwd=bwd))
    lines += ["  " + finding_line(f, lang) for f in t.findings if f.role == "numeric"]
    if t.outcome in VERDICTS:       # (RELIES_ON_WRONG: _dependency_verdict says what they mean)
        lines.append(say(VERDICTS[t.outcome], lang, fwd=fwd, bwd=bwd))
    return lines


# ---- what was accepted, what the student's own functions say, contracts -------------------
# (the keys of grader/report/i18n.py: accepted_*, variant_*, relation_*, relies_*, contract_*)


def _accepted(t: TestResult, lang: str) -> list[str]:
    """A shape accepted although it differs by axes of length 1; a variant formula recognized."""
    lines = [say("accepted_singleton", lang, quantity=f.quantity, shape=shape_text(f.shape),
                 expected=shape_text(f.expected_shape))
             for f in t.scored if f.ok and f.verdict is Verdict.WITHIN and f.shape is not None
             and f.expected_shape is not None and f.shape != f.expected_shape]
    for variant in dict.fromkeys(f.variant for f in t.scored if f.ok and f.variant):
        lines.append(say("accepted_variant", lang, variant=say("variant_" + variant, lang)))
    return lines


def _dependency_verdict(t: TestResult, lang: str) -> list[str]:
    """The findings against the student's own lower-level functions, and what they mean."""
    own = [f for f in t.findings if f.role == "own"]
    if not own:
        return []
    deps = t.data.get("dependencies") or []
    relation = t.data.get("relation", "composition")
    words = {"function": t.function, "composed": ", ".join(t.data.get("composed") or deps),
             "deps": " and ".join(deps) if lang != "zh" else "、".join(deps)}
    lines = [say("relation_%s_above" % relation, lang, **words)]
    lines += ["  " + finding_line(f, lang) for f in own]
    if t.outcome is Outcome.RELIES_ON_WRONG:
        lines.append(say("relies_one" if len(deps) == 1 else "relies_many", lang,
                         after=say("relation_%s_after" % relation, lang, **words), **words))
    return lines


def _contract(t: TestResult, lang: str) -> list[str]:
    key = t.data.get("contract")
    if not key:
        return []
    function = t.data.get("contract_function") or t.data.get("where") or t.function
    return [say("contract_" + key, lang, function=function)]


NOT_RUN = {"before": "not_run_before", "during": "not_run_during"}
CELLS_DETAILED = 5       # failing cells shown with their traceback; the rest by one line each


def notebook_output(t: TestResult, lang: str = "en") -> str:
    """A notebook's one test: how the run went, every failing cell, the hidden tests its points
    rest on, and the cells that change how the kernel runs or reports later cells."""
    d = t.data
    notebook = t.function.removeprefix("notebook ")
    if "not_run" in d:
        return say(NOT_RUN[d["not_run"]], lang, what=say("a_notebook", lang))
    if "read_error" in d:
        return say("nb_unreadable", lang, notebook=notebook, error=d["read_error"])
    if t.outcome is Outcome.GRADER_ERROR:
        return say("nb_no_kernel", lang, error=d.get("grader_error"))
    parts = []
    if not d.get("submitted", True):
        parts.append(say("nb_not_submitted", lang, notebook=notebook) + " "
                     + say("nb_earns_nothing" if not t.score else "nb_earns", lang))
    if t.outcome is not Outcome.NOTEBOOK_FAILED:
        parts.append(say("nb_all_ran", lang, cells=d["cells_total"], seconds=f"{d['seconds']:.0f}"))
    else:
        parts.append(say("nb_ran", lang, ran=d["cells_run"], cells=d["cells_total"],
                         clean=d["cells_clean"]) + (" " + d["message"] if d.get("message") else ""))
    errors = d.get("errors", [])
    parts += [_cell_text(e, i < CELLS_DETAILED, lang) for i, e in enumerate(errors)]
    functions, failing = d.get("functions", []), d.get("functions_failing", [])
    if failing:
        parts.append(say("nb_functions_failing", lang, functions=", ".join(failing)))
    elif functions and t.passed:
        parts.append(say("nb_functions_pass", lang, functions=", ".join(functions)))
    elif "functions" in d and not functions:
        parts.append(say("nb_no_functions", lang))
    parts += [say("nb_hook", lang, cell=cell, what=", ".join(say("hook_" + kind, lang) for kind in kinds))
              for cell, kinds in d.get("hooks", [])]
    if d.get("partial_credit"):
        parts.append(say("nb_partial", lang, clean=d["cells_clean"], cells=d["cells_total"]))
    elif t.outcome is Outcome.NOTEBOOK_FAILED:
        parts.append(say("nb_all_or_nothing", lang))
    if not t.passed:
        parts.append(say("nb_see_executed", lang))
    return "\n\n".join(parts)


def _cell_text(e: dict, detailed: bool, lang: str) -> str:
    """One failing cell: where, what it raised (or why it stopped), and its traceback's tail."""
    where = say("nb_cell", lang, cell=e["cell"]) + (
        f" (In [{e['execution_count']}])" if e.get("execution_count") else "")
    error = f"{e.get('ename')}: {e.get('evalue')}" if e.get("kind") == "exception" else e.get("evalue")
    text = say("nb_cell_failed", lang, where=where, source=e.get("source", "")) + f" {error}"
    return text + (f"\n{e['traceback']}" if detailed and e.get("traceback") else "")


# ---- a function's diagnosis in one sentence -------------------------------------------------

OUTCOME_SENTENCE = {
    Outcome.STUB: "why_stub", Outcome.RAISED: "why_raised", Outcome.TIMEOUT: "why_timeout",
    Outcome.DIED: "why_died", Outcome.PROTOCOL: "why_died", Outcome.NOT_LOADED: "why_not_loaded",
    Outcome.BAD_RETURN: "why_bad_return", Outcome.BACKWARD_WRONG: "why_backward_wrong",
    Outcome.FORWARD_WRONG: "why_forward_wrong", Outcome.BOTH_WRONG: "why_both_wrong",
    Outcome.IMPRECISE: "why_imprecise", Outcome.GRADER_ERROR: "why_grader_error",
    Outcome.NOTEBOOK_FAILED: "why_notebook", Outcome.FUNCTIONS_FAILING: "why_notebook_functions",
    Outcome.NOT_SUBMITTED: "why_not_submitted", Outcome.NOT_RUN: "why_not_run",
}


def function_diagnosis(tests: list[TestResult], lang: str = "en") -> str:
    """What a function's tests show, in one sentence: all passed, or how many failed and what the
    first failure says (a wrong value, the stub, an exception, which of forward and backward)."""
    if lang == "both":
        return function_diagnosis(tests, "en") + " / " + function_diagnosis(tests, "zh")
    failed = [t for t in tests if not t.passed]
    if not failed:
        return say("all_passed", lang, count=len(tests))
    if all(t.outcome is Outcome.RELIES_ON_WRONG for t in failed):
        deps = list(dict.fromkeys(d for t in failed for d in t.data.get("dependencies", [])))
        return say("some_failed", lang, failed=len(failed), count=len(tests)) + \
            ("" if lang == "zh" else " ") + say("why_relies_on_wrong", lang, deps=", ".join(deps))
    own = [t for t in failed if t.outcome is not Outcome.RELIES_ON_WRONG]
    named = next((t for t in own if (t.data.get("diagnosis") or {}).get("mistake")), None)
    if named is not None:
        reason = load_catalogue().mistake(named.data["diagnosis"]["mistake"]).diagnosis[lang]
    elif failed[0].function.startswith("answer "):   # no values compared: scored by hand
        reason = say("why_answer", lang)
    else:
        reason = say(OUTCOME_SENTENCE.get(own[0].outcome, "why_values"), lang)
    return say("some_failed", lang, failed=len(failed), count=len(tests)) + \
        ("" if lang == "zh" else " ") + reason


# ---- the diagnosis of a failed test (grader/feedback) -----------------------------------------


def diagnosis_of(t: TestResult, lang: str = "en", withheld: bool = False) -> list[tuple[str, str]]:
    """[(heading, text)]: the mistake the numbers show (or, when none is recognized, what they
    show), its knowledge point, the notebook section that teaches it and a question to ask;
    in "both", the English then the Chinese. A test whose details are withheld does not show
    the numbers. Nothing for a passed test, a stub, or what the catalogue does not cover."""
    if t.passed or t.outcome in (Outcome.STUB, Outcome.GRADER_ERROR, Outcome.RELIES_ON_WRONG,
                                 Outcome.NOT_RUN) or \
            t.function not in load_catalogue().functions:
        return []
    if lang == "both":
        return diagnosis_of(t, "en", withheld) + diagnosis_of(t, "zh", withheld)
    data = t.data.get("diagnosis")
    diagnosis = stored.from_data(data) if data else Diagnosis(t.function, None, ())
    shown = sections(diagnosis, lang)
    if withheld:
        numbers = load_catalogue().ui[lang]["numbers"]
        shown = [(heading, text) for heading, text in shown if heading != numbers]
    return shown


def answer_output(t: TestResult, lang: str = "en") -> str:
    """A written answer's test: scored by hand (manual.csv) or still waiting for it."""
    d = t.data
    parts = [say("answer_blank" if d.get("blank") else "answer_written", lang,
                 question=d.get("question", ""))]
    if d.get("graded"):
        parts.append(say("answer_scored", lang))
        if "capped_from" in d:
            parts.append(say("answer_capped", lang, given=f"{d['capped_from']:g}"))
    else:
        parts.append(say("answer_not_scored", lang))
    text = " ".join(parts)
    if d.get("comment"):
        text += "\n" + say("answer_comment", lang, comment=d["comment"])
    return text
