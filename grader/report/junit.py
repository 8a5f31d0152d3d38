"""JUnit XML for a batch: one <testsuite> per submission, one <testcase> per test."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection

from grader.report.details import _finite, output_text, points
from grader.report.text import HIDDEN, clean_text
from grader.results import Outcome, SubmissionResult, TestResult

def _junit_suite(result: SubmissionResult, hide: Collection[str], lang: str) -> ET.Element:
    tests = list(result.tests)
    if result.error:   # an ungradable submission shows up in CI as one failed case
        tests.append(TestResult("grading", "could not be graded", "grading", False,
                                Outcome.FAILED, notes=[result.error]))
    suite = ET.Element("testsuite", name=clean_text(result.name, 300), tests=str(len(tests)),
                       failures=str(sum(not t.passed for t in tests)), errors="0", skipped="0",
                       time=f"{_finite(result.execution_time):.3f}")
    props = ET.SubElement(suite, "properties")
    for key, value in (("score", points(result.score)), ("max_score", points(result.max_score)),
                       ("seed", str(result.seed)), ("isolation", clean_text(result.isolation, 100))):
        ET.SubElement(props, "property", name=key, value=value)
    for t in tests:
        case = ET.SubElement(suite, "testcase", classname=clean_text(t.function, 300),
                             name=clean_text(t.name, 300))
        if not t.passed:
            text = output_text(t, hide, lang)
            message = (text.splitlines() or [t.status])[0][:200]
            failure = ET.SubElement(case, "failure", message=message, type="failed")
            failure.text = text
    return suite


def to_junit(results: list[SubmissionResult], hide: Collection[str] = HIDDEN, lang: str = "en") -> str:
    """JUnit XML: <testsuites> with one <testsuite> per submission, one <testcase> per test."""
    root = ET.Element("testsuites", name="autograder")
    suites = [_junit_suite(r, hide, lang) for r in results]
    root.extend(suites)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key)) for s in suites)))
    root.set("time", f"{sum(_finite(r.execution_time) for r in results):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
