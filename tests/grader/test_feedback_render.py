"""render(): the diagnosis sentence first, then what the numbers show, the knowledge point, the
notebook section and a guiding question, in English, Chinese or both, and never code."""
import re

import numpy as np
import pytest

from grader.feedback import Diagnosis, contains_code, diagnose, diagnose_error, load_catalogue, render, sections
from grader.feedback.catalogue import GRADED_FUNCTIONS
from grader.feedback.codecheck import code_fragments
from grader.feedback.evidence import OutputEvidence, evidence

CATALOGUE = load_catalogue()
UI = CATALOGUE.ui


def summed_softmax():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, (4, 3)), rng.integers(0, 3, 4)
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(log_probs)
    dx[np.arange(4), y] -= 1
    loss = -log_probs[np.arange(4), y].mean()
    return diagnose("softmax_loss", {"x": x, "y": y}, {"loss": 4 * loss, "dx": dx / 4},
                    {"loss": loss, "dx": dx / 4}, 1e-7)


def test_english_report_of_a_named_mistake_in_order():
    result = summed_softmax()
    mistake = CATALOGUE.mistake("softmax_loss_summed")
    lines = render(result, "en").splitlines()
    assert lines[0] == "Diagnosis: " + mistake.diagnosis.en
    loss = result.evidence[0]
    assert lines[1] == "What the numbers show: loss is %.3g, expected %.3g (relative error %.3g). Right: dx." % (
        loss.got, loss.expected, loss.rel_error)
    assert lines[2] == "Knowledge point: The loss of a batch is an average. " + mistake.explanation.en
    assert lines[3] == "Where the notebook teaches it: FullyConnectedNets.ipynb, section “Softmax loss”"
    assert lines[4] == "Question to ask yourself: " + mistake.question.en
    assert len(lines) == 5


def test_chinese_report_of_a_named_mistake():
    result = summed_softmax()
    mistake = CATALOGUE.mistake("softmax_loss_summed")
    lines = render(result, "zh").splitlines()
    assert lines[0] == "诊断：" + mistake.diagnosis.zh
    loss = result.evidence[0]
    assert lines[1] == "数值显示：loss 是 %.3g，期望值是 %.3g（相对误差 %.3g）。正确的有：dx。" % (
        loss.got, loss.expected, loss.rel_error)
    assert lines[2].startswith("知识点：批次的损失是平均值。")
    assert lines[3] == "笔记本中的讲解位置：FullyConnectedNets.ipynb 中的“Softmax loss”一节"
    assert lines[4] == "问问自己：" + mistake.question.zh


def test_both_languages_english_first():
    result = summed_softmax()
    both = render(result, "both")
    assert both == render(result, "en") + "\n\n" + render(result, "zh")


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError):
        render(summed_softmax(), "fr")


def test_no_match_teaches_the_functions_knowledge_point():
    wrong = {"out": np.ones((2, 3))}
    result = diagnose("layernorm_forward", {"x": np.zeros((2, 3)), "gamma": np.ones(3), "beta": np.zeros(3),
                                            "ln_param": {}}, wrong, {"out": np.zeros((2, 3))}, 1e-7)
    assert result.mistake is None
    point = CATALOGUE.functions["layernorm_forward"]
    parts = dict(sections(result, "en"))
    assert parts["Diagnosis"].startswith("Your layernorm_forward gives wrong results that no catalogued")
    assert parts["What the numbers show"].startswith("out is wrong in 6 of 6 entries")
    assert parts["Knowledge point"].endswith(CATALOGUE.knowledge[point.knowledge].text.en)
    assert parts["Question to ask yourself"] == point.question.en


def test_an_error_is_reported_without_its_message():
    result = diagnose_error("relu_forward", "MemoryError", "x = np.zeros((10**12,))", {})
    text = render(result, "both")
    assert "MemoryError" in text and "np.zeros" not in text


def synthetic_evidence():
    """One output of every kind of evidence, for rendering."""
    shown = evidence({"a": np.array([1.0, 2.0]), "b": np.array([2.0, 4.0]), "c": np.array([-1.0, -2.0]),
                      "d": np.ones(3), "e": np.array([np.nan, 1.0]), "grads/W1": None, "f": "text"},
                     {name: np.array([1.0, 2.0]) for name in ("a", "b", "c", "d", "e", "grads/W1", "f")}, 1e-7)
    return shown + (OutputEvidence("g", "wrong", 0.5, 1, 2, (1,), 3.0, 1.0, None, (2,), (2,)),
                    OutputEvidence("loss", "wrong", 0.5, 1, 1, (), 3.0, 1.0, 3.0, (), ()))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_kind_of_evidence_reads_without_code(lang):
    result = Diagnosis("softmax_loss", None, (), synthetic_evidence())
    text = dict(sections(result, lang))[UI[lang]["numbers"]]
    for name in ("b", "c", "d", "e", "grads › W1", "f", "g"):
        assert name in text
    assert "2" in text and "(3,)" in text and "(2,)" in text
    assert not contains_code(text), code_fragments(text)


@pytest.mark.parametrize("lang", ["en", "zh", "both"])
def test_no_rendering_of_any_entry_or_function_contains_code(lang):
    shown = synthetic_evidence()
    reports = [render(Diagnosis(m.function, m, (m.id,), shown), lang) for m in CATALOGUE.mistakes]
    reports += [render(Diagnosis(m.function, m, (m.id,), (), ("KeyError", "'gamma3'")), lang)
                for m in CATALOGUE.mistakes]
    reports += [render(Diagnosis(function, None, (), shown), lang) for function in GRADED_FUNCTIONS]
    reports += [render(Diagnosis(function, None, ("a", "b"), shown), lang) for function in GRADED_FUNCTIONS]
    reports += [render(Diagnosis(function, None, (), (), ("ValueError", "")), lang) for function in GRADED_FUNCTIONS]
    for report in reports:
        assert not contains_code(report), code_fragments(report)
        assert not re.search(r"\{\w+\}", report), report       # every placeholder was filled


def test_every_entry_renders_its_own_section_and_question():
    for m in CATALOGUE.mistakes:
        parts = dict(sections(Diagnosis(m.function, m, (m.id,)), "zh"))
        assert parts["诊断"] == m.diagnosis.zh
        assert m.section in parts["笔记本中的讲解位置"] and m.notebook in parts["笔记本中的讲解位置"]
        assert parts["问问自己"] == m.question.zh
