"""The tests' Chinese names: every test the catalogue and the notebook stage can emit has one,
in Chinese (no English words besides code names), unique; the reports show them at the edge
while the English name stays the test's identity (model, JUnit, gradebook, extra_data)."""
import re

from grader.hidden_tests.catalogue import CATALOGUE
from grader.notebooks.runs import NOTEBOOK_TEST
from grader.report.gradescope_json import to_gradescope
from grader.report.junit import to_junit
from grader.report.markdown import to_markdown
from grader.report.test_names import ZH, chinese_what, display_name
from grader.results import Finding, Outcome, SubmissionResult, TestResult, Verdict
from tests.support import assert_gradescope_format

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Latin words a Chinese name may keep: symbols and code names the student writes as they are
# (sizes, hyperparameter keys, the exception raised) and the field's loan word "logits".
KEPT = {"N", "D", "C", "H", "W", "L", "G", "p", "t", "y", "dx", "eps", "gamma", "beta",
        "beta1", "beta2", "momentum", "mode", "ln_param", "learning_rate", "decay_rate", "reg",
        "L2", "None", "ValueError", "logits", "e"}   # "e": 1e-3

EMITTED = [(test.function, test.what) for test in CATALOGUE] + [
    ("notebook BatchNormalization.ipynb", NOTEBOOK_TEST)]


def test_every_test_the_grader_can_emit_has_a_chinese_name_without_english_words():
    for function, what in EMITTED:
        chinese = chinese_what(what)
        assert chinese is not None, f"{function}: {what} has no Chinese name"
        assert CJK.search(chinese), (what, chinese)
        assert set(LATIN_WORD.findall(chinese)) <= KEPT, (what, chinese)
    assert set(ZH) == {what for _, what in EMITTED}, "entries no test emits"


def test_the_chinese_names_are_unique_as_the_english_ones_are():
    english = [f"{function}: {what}" for function, what in EMITTED]
    chinese = [display_name(function, what, "zh") for function, what in EMITTED]
    assert len(set(english)) == len(english)
    assert len(set(chinese)) == len(chinese)
    assert all(name.split("：", 1)[1] != what for name, (_, what) in zip(chinese, EMITTED))


def test_the_unit_stays_as_it_is_and_both_shows_english_then_chinese():
    what = "train mode, shifted and scaled input"
    assert display_name("batchnorm_forward", what, "en") == f"batchnorm_forward: {what}"
    assert display_name("batchnorm_forward", what, "zh") == "batchnorm_forward：训练模式，经过平移和缩放的输入"
    assert display_name("batchnorm_forward", what, "both") == (
        f"batchnorm_forward: {what} / 训练模式，经过平移和缩放的输入")
    assert display_name("notebook BatchNormalization.ipynb", NOTEBOOK_TEST, "zh") == (
        "notebook BatchNormalization.ipynb：从头到尾无错误地运行完")
    assert display_name("answer BatchNormalization.ipynb", "Inline Question 2", "zh") == (
        "answer BatchNormalization.ipynb：随堂问题 2")
    # a name nobody translated (a handout's own question title) is shown as it is
    assert display_name("answer X.ipynb", "Why?", "zh") == "answer X.ipynb: Why?"


def result() -> SubmissionResult:
    return SubmissionResult(name="alice", seed=3, isolation="bubblewrap", tests=[
        TestResult("batchnorm_forward", "train mode, tiny-variance input", "batchnorm_forward",
                   False, Outcome.FAILED, max_score=2,
                   findings=[Finding("out", False, Verdict.ABOVE, rel_error=0.5, tolerance=1e-7)]),
        TestResult("notebook BatchNormalization.ipynb", NOTEBOOK_TEST, "notebooks", True,
                   max_score=1, score=1, data={"cells_total": 9, "seconds": 4.0})])


def test_report_md_shows_the_name_in_the_report_language():
    zh, en, both = (to_markdown(result(), lang=lang) for lang in ("zh", "en", "both"))
    assert "### ❌ batchnorm_forward：训练模式，方差极小的输入 (0 / 2)" in zh
    assert "### ✅ notebook BatchNormalization.ipynb：从头到尾无错误地运行完 (1 / 1)" in zh
    assert "tiny-variance" not in zh and "runs to the end" not in zh
    assert "### ❌ batchnorm_forward: train mode, tiny-variance input (0 / 2)" in en
    assert "方差" not in en.split("## batchnorm_forward")[1]
    assert ("### ❌ batchnorm_forward: train mode, tiny-variance input / 训练模式，方差极小的输入 (0 / 2)"
            in both)


def test_gradescope_shows_the_chinese_name_and_keeps_the_english_one_as_identity():
    zh, en, both = (to_gradescope(result(), lang=lang) for lang in ("zh", "en", "both"))
    for data in (zh, en, both):
        assert_gradescope_format(data)
        assert [t["extra_data"]["name"] for t in data["tests"]] == [t.name for t in result().tests]
        assert [t["tags"][0] for t in data["tests"]] == [t.function for t in result().tests]
    assert [t["name"] for t in zh["tests"]] == [
        "batchnorm_forward: 训练模式，方差极小的输入", "notebook BatchNormalization.ipynb: 从头到尾无错误地运行完"]
    assert [t["name"] for t in en["tests"]] == [t.name for t in result().tests]
    assert both["tests"][0]["name"] == (
        "batchnorm_forward: train mode, tiny-variance input / 训练模式，方差极小的输入")


def test_the_model_and_junit_keep_the_english_name():
    tested = result()
    to_markdown(tested, lang="zh"), to_gradescope(tested, lang="zh")
    assert tested.tests[0].name == "batchnorm_forward: train mode, tiny-variance input"
    assert '"what": "train mode, tiny-variance input"' in tested.to_json()
    assert 'name="batchnorm_forward: train mode, tiny-variance input"' in to_junit([tested], lang="zh")
