"""Reports in English, Chinese or both: every string of the report's table exists in both
languages, the rubric and --lang choose, and a Chinese report is Chinese where it speaks."""
import re

import pytest

from grader.report.i18n import SHORT, UI, say
from grader.report.markdown import to_html, to_markdown
from grader.report.details import summary_text
from grader.rubric import RubricError, load_rubric
from grader.results import Finding, Mismatch, Outcome, SubmissionResult, TestResult, Verdict
from tests.support import SHIPPED_RUBRIC

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_entry_exists_in_both_languages_with_the_same_placeholders():
    for key, entry in UI.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and CJK.search(entry["zh"]), key
        assert set(re.findall(r"{(\w+)}", entry["en"])) == set(re.findall(r"{(\w+)}", entry["zh"])), key
    assert SHORT <= set(UI)


def test_both_puts_the_chinese_after_the_english():
    assert say("total", "both") == "Total / 总分"
    assert say("why_stub", "both").splitlines() == [UI["why_stub"]["en"], UI["why_stub"]["zh"]]


def result() -> SubmissionResult:
    return SubmissionResult(name="alice", seed=3, isolation="bubblewrap", tests=[
        TestResult("batchnorm_forward", "train mode", "batchnorm_forward", False, Outcome.FAILED,
                   max_score=2, score=0, header="Compared the output.",
                   findings=[Finding("out", False, Verdict.ABOVE, rel_error=0.5, tolerance=1e-7,
                                     shape=[2, 3], expected_shape=[2, 3],
                                     first_mismatch=Mismatch([0, 1], 1.0, 2.0))]),
        TestResult("batchnorm_forward", "N=1", "batchnorm_forward", True, max_score=2, score=2),
        TestResult("relu_forward", "stub", "relu_forward", False, Outcome.STUB, max_score=1,
                   findings=[Finding("out", False, Verdict.NONE, tolerance=1e-7)])])


def test_a_chinese_report_speaks_chinese():
    md = to_markdown(result(), lang="zh")
    assert md.startswith("# 评分报告：alice")
    assert "**诊断:** 2 个测试中有 1 个未通过。有些返回值与参考实现不一致" in md
    assert "相对误差" in md and "第一个不一致处" in md and "返回了 None" in md
    assert "Relative error" not in md and "Diagnosis" not in md
    assert "得分：2 / 5（40.0%）" in summary_text(result(), lang="zh")


def test_failed_tests_come_first_and_passed_ones_are_folded():
    md = to_markdown(result())
    section = md[md.index("## batchnorm_forward"):md.index("## relu_forward")]
    assert section.index("❌ batchnorm_forward: train mode") < section.index("<details")
    assert section.index("<summary>Passed tests (1)</summary>") < section.index("✅ batchnorm_forward: N=1")
    page = to_html(result())
    assert "<details" in page and "<summary>Passed tests (1)</summary>" in page
    assert "<h3" in page.split("<details")[1]      # the folded tests are still rendered


def test_each_function_section_starts_with_its_diagnosis():
    md = to_markdown(result())
    for function in ("batchnorm_forward", "relu_forward"):
        head = md.index(f"## {function}:")
        assert md[head:].split("\n\n")[1].startswith("**Diagnosis:**")
    assert "It still returns None: it is not implemented yet." in md


def test_the_rubric_chooses_the_language_and_refuses_others(tmp_path):
    assert load_rubric().language == "en"
    path = tmp_path / "rubric.toml"
    path.write_text(SHIPPED_RUBRIC.read_text().replace('language = "en"', 'language = "fr"'))
    with pytest.raises(RubricError, match=r"report\.language must be one of"):
        load_rubric(path)
