"""Similar code across a batch (the handout's code is boilerplate) and the batch dashboard:
one self-contained page with a row per submission linked to its report."""
import re
from html.parser import HTMLParser

from grader.course.similarity import similar_pairs
from grader.report.dashboard import dashboard_html
from grader.report.similarity_page import similarity_html
from grader.results import LatePenalty, SubmissionResult, TestResult
from tests.support import ROOT, STUDENT_PY


def code_of(folder) -> dict:
    return {name: (ROOT / folder / name).read_text() for name in STUDENT_PY}


def disguised(code: dict) -> dict:
    """The same code with other names and other comments: what copying and editing gives."""
    renamed = {}
    for name, text in code.items():
        text = re.sub(r"#[^\n]*", "# rewritten in my own words", text)
        for old, new in (("cache", "saved"), ("dout", "upstream_grad"), ("mode", "phase")):
            text = re.sub(rf"\b{old}\b", new, text)
        renamed[name] = text
    return renamed


def submitted(name, code, **fields):
    return SubmissionResult(name=name, seed=1, code=code, **fields)


def test_code_differing_only_by_names_and_comments_is_paired():
    batch = [submitted("ann", code_of("solutions")), submitted("ben", disguised(code_of("solutions"))),
             submitted("cid", code_of("assignment"))]
    pairs = similar_pairs(batch, threshold=0.7)
    assert [(p.a, p.b) for p in pairs] == [("ann", "ben")]
    assert pairs[0].share_a > 0.9 and pairs[0].share_b > 0.9
    page = similarity_html(pairs, batch, 0.7)
    assert page.count('<div class="side">') == 1 and "<mark>" in page
    assert "rewritten in my own words" in page     # ben's side, shown next to ann's


def test_the_handout_alone_pairs_nobody():
    batch = [submitted(n, code_of("assignment")) for n in ("ann", "ben", "cid")]
    assert similar_pairs(batch, threshold=0.01) == []
    assert "no pair above the threshold" in similarity_html([], batch, 0.7)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("href", "src") and v]


def test_dashboard_is_self_contained_with_a_row_per_submission():
    tests = [TestResult("adam", "one step", "adam", True, max_score=3.0, score=3.0),
             TestResult("notebook Dropout.ipynb", "runs to the end", "notebooks", False,
                        max_score=5.0)]
    batch = [
        SubmissionResult("ann", 1, tests=tests, notebooks=["notebooks/Dropout.ipynb"],
                         late=LatePenalty("2025-03-03T10:00:00+00:00", "2025-03-01T00:00:00+00:00",
                                          "file times", 3480, 3, 0.3, 0.9)),
        SubmissionResult("<script>x</script>", 2, tests=tests[:1]),
        SubmissionResult("cid", 3, error="zip file is corrupt"),
    ]
    pairs = similar_pairs([submitted("ann", code_of("solutions")),
                           submitted("ben", disguised(code_of("solutions")))], 0.7)
    page = dashboard_html(batch, pairs, assignment="Assignment 2")
    parser = Links()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert all(not re.match(r"[a-z]+:", ref) for ref in parser.refs)   # nothing from elsewhere
    assert {"ann/report.html", "cid/report.html", "ann/notebooks/Dropout.html",
            "similarity.html#pair-1", "gradebook.csv", "canvas.csv"} <= set(parser.refs)
    assert "%3Cscript%3Ex%3C/script%3E/report.html" in parser.refs
    assert "3 d · −0.9" in page and "not graded" in page and "similar to ben" in page
    assert "<svg" in page and "1 notebook(s) failing" in page


def test_a_fingerprint_asked_for_by_two_threads_is_computed_once(monkeypatch, tmp_path):
    # The batch fingerprints finished submissions in a thread beside the grading; the batch
    # files asking for one meanwhile wait for it rather than compute it a second time.
    import threading
    import time

    from grader.course import similarity
    calls = []

    def slow(text, boiler):
        calls.append(text)
        time.sleep(0.2)
        return text

    monkeypatch.setattr(similarity, "_prints", {})
    monkeypatch.setattr(similarity, "fingerprint", slow)
    monkeypatch.setattr(similarity, "boilerplate", lambda handout: frozenset())
    threads = [threading.Thread(target=similarity.cached_fingerprint, args=("code", tmp_path))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["code"] and similarity.cached_fingerprint("code", tmp_path) == "code"
