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


# What may stay in Latin letters in a Chinese report: code and names (backticks, identifiers
# with _ . ( or digits, settings in {} or []), the notebooks' own section titles (“...”), and
# what the student's code raised (its message and traceback are the student's runtime's words).
TITLE = re.compile(r"“[^”]*”")
CODE_OR_NAME = re.compile(r"`[^`]*`|\{[^{}]*\}|\[[^\[\]]*\]|\S*[_.()=\d]\S*")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{3,}(?:[ ,;:'-]+[A-Za-z]{2,}){2,}\b")
RAISED = re.compile(r"抛出了 .*$|^\s*File \".*$|^\s*\w+(?:Error|Exception)\b.*$|^\s{4}.*$")


def english_left(report: str) -> list[str]:
    """Lines of a Chinese report that still hold an English sentence of three or more words,
    outside code and names. The ### headings count: a test's name is said in Chinese after its
    function's name (grader/report/test_names.py)."""
    left = []
    for line in report.splitlines():
        if line.startswith("<"):
            continue
        text = CODE_OR_NAME.sub(" ", TITLE.sub(" ", RAISED.sub(" ", line)))
        if ENGLISH_SENTENCE.search(text):
            left.append(line)
    return left


@pytest.mark.slow     # grades a few one-mistake submissions (about a second each)
def test_a_chinese_report_of_failing_hidden_tests_has_no_english_sentence_left(tmp_path):
    """The hidden tests' headers and finding lines ("Ran your ...", "dx: relative error ...")
    are said in Chinese too: running averages, dropout, the network, an update rule, a
    backward pass checked against a numerical gradient, and code that raises."""
    from tests.grader.feedback_students import MISTAKES
    from tests.grader.test_diagnosis_end_to_end import graded
    students = ("bn_running_overwritten", "dropout_p_is_drop_probability", "dropout_backward_not_rescaled",
                "net_l2_without_half", "net_init_without_weight_scale", "bn_backward_no_var_path",
                "momentum_sign_flipped", "affine_no_flatten", "sbn_fixed_4d_layout")
    for mistake in students:
        folder = tmp_path / mistake
        folder.mkdir()
        result = graded(folder, MISTAKES[mistake][0].files())
        report = to_markdown(result, lang="zh")
        assert "相对误差" in report and "你的" in report, mistake
        assert english_left(report) == [], mistake
        english = to_markdown(result, lang="en")
        assert english_left(english), "the scan finds English where there is some"


def test_the_finding_lines_and_headers_are_said_in_chinese():
    from grader.report.prose import output_of
    test = TestResult(
        "batchnorm_forward", "running averages", "batchnorm_forward", False, Outcome.FAILED,
        header="Ran your batchnorm_forward for 4 train-mode steps (a new x (7, 4) each step) "
               "starting from bn_param {mode: 'train', momentum: 0.7} and carrying bn_param from "
               "step to step, then once in test mode.",
        findings=[Finding("out (train step 2)", False, Verdict.ABOVE, rel_error=0.5, tolerance=1e-7,
                          shape=[7, 4], expected_shape=[7, 4], first_mismatch=Mismatch([0, 1], 1.0, 2.0)),
                  Finding("bn_param['running_var']", False, Verdict.NOTE,
                          text="missing after the call: write it back into bn_param")])
    zh = output_of(test, "zh")
    assert zh.splitlines() == [
        "从 bn_param {mode: 'train', momentum: 0.7} 开始，在训练模式下把你的 batchnorm_forward 运行 4 步"
        "（每步一个新的 x (7, 4)），每一步沿用上一步留下的 bn_param，最后在测试模式下运行一次。",
        "  out（训练第 2 步）: 形状 (7, 4)，相对误差 5.00e-01，超出容差 1e-07；第一个不一致处在索引 (0, 1)"
        "：你的值 1，期望值 2",
        "  bn_param['running_var']: 调用之后不存在：请把它写回 bn_param"]
    assert output_of(test, "en").splitlines()[1] == (
        "  out (train step 2): shape (7, 4), relative error 5.00e-01 above tolerance 1e-07; first "
        "mismatch at index (0, 1): yours 1, expected 2")
    assert output_of(test, "both") == output_of(test, "en") + "\n\n" + zh
