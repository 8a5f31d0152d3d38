"""Student-visible text never hands over solution code: no line of the reference solutions
appears in any report of a failing submission, in English or Chinese, and every sentence the
grader writes itself (the report's strings, the mistake catalogue) passes the code check."""
import re

import pytest

from grader.feedback import contains_code
from grader.feedback.catalogue import load_catalogue
from grader.hidden_tests.catalogue import run_hidden_tests
from grader.hidden_tests.student_process import StudentProcess
from grader.isolation.sandbox import Limits
from grader.report.gradescope_json import to_gradescope
from grader.report.i18n import UI
from grader.report.markdown import to_markdown
from grader.results import SubmissionResult
from grader.rubric import load_rubric
from grader.scoring import score_hidden_tests
from tests.support import ROOT, batchnorm_family, make_workspace, overridden, sandbox_level

pytestmark = pytest.mark.slow   # grades three submissions' hidden tests (about 10 s)


def solution_lines() -> set[str]:
    """Every line of code the solutions add to the stubs, whitespace-normalized: what a report
    must never show. Short lines (`return out`) and lines the stubs also have are left out."""
    lines = set()
    for name in ("layers.py", "fc_net.py", "optim.py"):
        stub = {" ".join(l.split()) for l in (ROOT / "assignment" / name).read_text().splitlines()}
        for line in (ROOT / "solutions" / name).read_text().splitlines():
            text = " ".join(line.split())
            if len(text) >= 24 and text not in stub and not text.startswith(("#", '"', "'")):
                lines.add(text)
    return lines


def test_every_string_the_report_writes_itself_is_free_of_code():
    for key, entry in UI.items():
        for lang, text in entry.items():
            assert not contains_code(text.replace("**", "")), (key, lang, text)   # Markdown bold


@pytest.fixture(scope="module")
def failing_reports(tmp_path_factory):
    """Reports (Markdown and results.json, en and zh) of three failing submissions."""
    submissions = {
        "stubs": None,
        "unbiased": {"layers.py": overridden("layers.py", batchnorm_family(ddof=1))},
        "mistakes": {"layers.py": overridden("layers.py", """
            def relu_backward(dout, cache):
                return dout * (cache >= 0) * 2.0
            def affine_forward(x, w, b):
                return x.reshape(x.shape[0], -1) @ w, (x, w, b)
            """), "optim.py": overridden("optim.py", """
            def sgd_momentum(w, dw, config=None):
                config = config or {}
                config.setdefault("learning_rate", 1e-2)
                config.setdefault("momentum", 0.9)
                v = config.get("velocity", np.zeros_like(w))
                v = config["momentum"] * v + config["learning_rate"] * dw
                config["velocity"] = v
                return w + v, config
            """)},
    }
    rubric, texts = load_rubric(), []
    for name, files in submissions.items():
        folder = tmp_path_factory.mktemp(name)
        workspace = make_workspace(folder, files, solutions=files is not None)
        (folder / "scratch").mkdir()
        with StudentProcess(workspace, folder / "scratch", Limits(),
                            level=sandbox_level()) as student:
            tests = run_hidden_tests(student, 11, rubric)
        score_hidden_tests(tests, rubric)
        result = SubmissionResult(name=name, seed=11, tests=tests)
        assert not all(t.passed for t in tests)
        for lang in ("en", "zh"):
            texts.append(to_markdown(result, lang=lang))
            texts += [t["output"] for t in to_gradescope(result, lang=lang)["tests"]]
    return texts


def test_no_report_shows_a_line_of_the_solutions(failing_reports):
    lines = solution_lines()
    assert len(lines) > 50
    for text in failing_reports:
        flat = " ".join(text.split())
        leaked = [line for line in lines if line in flat]
        assert not leaked, leaked[:3]


def test_the_diagnoses_and_knowledge_points_shown_are_free_of_code(failing_reports):
    headings = {h for lang in ("en", "zh") for h in load_catalogue().ui[lang].values()}
    shown = 0
    for text in failing_reports:
        for line in text.splitlines():
            match = re.match(r"^(?:- \*\*)?([^:*：]+?)(?:\*\*)?[:：]\*{0,2} (.*)$", line)
            if match and match.group(1).strip() in headings:
                shown += 1
                assert not contains_code(match.group(2)), line
    assert shown > 20


# What a line of an answer looks like: a NumPy call with its arguments, a method that reshapes,
# a keyword argument of the reductions, a gradient assigned.
ANSWER_LIKE = re.compile(r"\bnp\.[a-z_]+\(|\.(?:reshape|transpose|sum|mean|var)\(|\b(?:axis|keepdims|"
                         r"ddof)\s*=|\bd(?:x|w|b|gamma|beta|out)\s*=[^=]")


def test_no_line_of_any_report_looks_like_a_line_of_an_answer(failing_reports):
    for text in failing_reports:
        for line in text.splitlines():
            assert not ANSWER_LIKE.search(line), line
