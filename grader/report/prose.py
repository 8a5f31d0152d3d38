"""The words of a test's output, written from its findings: what was run, one line per compared
quantity, what the numerical gradient of the student's own forward says, notes, and the
knowledge point to look at. Every renderer (results.json, report.md/html, JUnit) shows this
text; the tests themselves only return findings.
"""
from __future__ import annotations

from grader.report.hints import HINTS
from grader.results import Finding, Outcome, TestResult, Verdict

STUB_HINT = "returned None — is the function still the stub?"
HINT_PREFIX = "What to look at:"


def fmt(value) -> str:
    """A short rendering of a number for the student."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return repr(value)
    return "%.6g" % value


def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def finding_text(f: Finding) -> str:
    """What was found about one quantity, after its name."""
    if f.verdict is Verdict.NONE:
        return STUB_HINT
    if f.verdict in (Verdict.NOT_NUMBERS, Verdict.NOTE):
        return f.text
    if f.verdict is Verdict.EXACT:
        return f.text + ("" if f.ok else ", expected %s" % f.expected_text)
    if f.verdict is Verdict.SHAPE:
        text = "shape %s, expected %s" % (shape_text(f.shape), shape_text(f.expected_shape))
        if _size(f.shape) == _size(f.expected_shape):
            text += " (same number of entries: a reshape, a transpose or keepdims?)"
        return text
    m = f.first_mismatch
    if f.verdict is Verdict.NON_FINITE:
        index = tuple(m.index)
        return ("contains %s%s where the expected value is %s (an overflow, a division by zero "
                "or the log of 0?)" % (fmt(m.yours), " at index %s" % (index,) if index else "",
                                      fmt(m.expected)))
    label = "relative error" if f.metric != "norm" else "relative error (of the norms)"
    text = "%s%s %.2e %s tolerance %.0e" % (
        "" if f.shape is None else "shape %s, " % shape_text(f.shape), label, f.rel_error,
        "within" if f.ok else "above", f.tolerance)
    if m is not None:
        index = tuple(m.index)
        text += "; %s: yours %s, expected %s" % (
            "first mismatch at index %s" % (index,) if index else "the value",
            fmt(m.yours), fmt(m.expected))
    return text


def finding_line(f: Finding) -> str:
    return "%s: %s" % (f.quantity, finding_text(f))


def _size(shape) -> int:
    size = 1
    for n in shape or ():
        size *= n
    return size


def hint_text(key: str) -> str:
    """The knowledge point(s) behind a hint key ("net_loss net_bn_net": both, in order)."""
    return " ".join(HINTS[k] for k in key.split() if k in HINTS)


# ---- a test's output ----------------------------------------------------------------------

FAILED_CALL = {
    Outcome.RAISED: "Calling your {where}: {message}",
    Outcome.TIMEOUT: "Your {where} {message}.",
    Outcome.DIED: "While running your {where}, {message}",
}


def output_of(t: TestResult) -> str:
    """The whole text of one test's output, as the student reads it (before visibility)."""
    if t.function.startswith("notebook "):
        return notebook_output(t)
    lines = [t.header] if t.header else []
    if t.outcome is Outcome.GRADER_ERROR:
        return "The grader could not finish this test (%s). This is a grader problem: please " \
               "report it with this output." % (t.notes[0] if t.notes else "")
    if t.outcome in FAILED_CALL or t.outcome in (Outcome.PROTOCOL, Outcome.NOT_LOADED):
        message = t.notes[0] if t.notes else ""
        template = FAILED_CALL.get(t.outcome, "{message}")
        return "\n".join(lines + [template.format(where=t.data.get("where", ""), message=message)])
    if t.outcome is Outcome.BAD_RETURN:
        return "\n".join(lines + ["Your %s returned %s; expected %s." % (
            t.data.get("where"), t.data.get("returned"), ", ".join(t.data.get("expected", [])))])
    lines += ["  " + finding_line(f) for f in t.scored]
    lines += _gradient_verdict(t)
    lines += list(t.notes)
    if not t.passed and t.hint and t.outcome is not Outcome.STUB:
        lines.append(HINT_PREFIX + " " + hint_text(t.hint))
    return "\n".join(lines)


def _gradient_verdict(t: TestResult) -> list[str]:
    """What the numerical gradient of the student's own forward says about a failed backward."""
    forward = next((f for f in t.findings if f.role == "forward"), None)
    if forward is None:
        return []
    fwd, bwd = t.data.get("labels", ("forward", "backward"))
    lines = ["Your %s against the reference: %s" % (fwd, finding_text(forward))]
    if "no_numeric_gradient" in t.data:
        return lines + ["No numerical gradient of your %s: %s." % (fwd, t.data["no_numeric_gradient"])]
    lines.append("Your %s against the numerical gradient of your own %s:" % (bwd, fwd))
    lines += ["  " + finding_line(f) for f in t.findings if f.role == "numeric"]
    lines.append({
        Outcome.BACKWARD_WRONG: "Your %s is right, so the %s is at fault: it does not match the "
                                "gradient of your %s." % (fwd, bwd, fwd),
        Outcome.IMPRECISE: "Your %s matches the numerical gradient of your %s but not the "
                           "reference within the tolerance: a loss of precision (float32, or a "
                           "cancellation)?" % (bwd, fwd),
        Outcome.FORWARD_WRONG: "Your %s matches the numerical gradient of your own %s but your %s "
                               "is wrong — fix the %s first." % (bwd, fwd, fwd, fwd),
        Outcome.BOTH_WRONG: "Your %s is wrong, and your %s does not match the gradient of your %s "
                            "either: fix the %s first, then check the %s against a numerical "
                            "gradient (gradient_check.py)." % (fwd, bwd, fwd, fwd, bwd),
    }[t.outcome])
    return lines


def notebook_output(t: TestResult) -> str:
    d = t.data
    if "cell" in d:   # one failing cell
        where = f"Cell {d['cell']}" + (f" (In [{d['execution_count']}])" if d.get("execution_count") else "")
        text = f"{where}, which begins `{d.get('source', '')}`:\n{d.get('ename')}: {d.get('evalue')}"
        if d.get("traceback"):
            text += f"\n\n{d['traceback']}"
        return text
    notebook = t.function.removeprefix("notebook ")
    if "read_error" in d:
        return f"notebook {notebook} could not be read: {d['read_error']}"
    if t.outcome is Outcome.GRADER_ERROR:
        return ("The grader could not start a Jupyter kernel for this notebook (a problem on "
                f"the grader's side, not in your work; tell your instructor): {d.get('grader_error')}")
    if t.passed:
        return f"All {d['cells_total']} code cells ran without an error ({d['seconds']:.0f} s)."
    output = (f"{d['cells_run']} of {d['cells_total']} code cells ran, "
              f"{d['cells_clean']} of them without an error.")
    raised = d.get("raised", [])
    if raised:
        listed = [f"cell {cell} raised {ename}" for cell, ename in raised[:10]]
        more = f" and {len(raised) - 10} more" if len(raised) > 10 else ""
        output += f" Errors: {'; '.join(listed)}{more}."
    if d.get("message"):
        output += " " + d["message"]
    if d.get("partial_credit"):
        output += f" Partial credit: {d['cells_clean']}/{d['cells_total']} of the points."
    else:
        output += " The points go to a notebook that runs to the end without an error."
    output += " The executed notebook in your report shows every cell's output."
    return output
