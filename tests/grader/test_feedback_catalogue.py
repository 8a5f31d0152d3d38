"""The mistake catalogue as data: complete in English and Chinese, free of code, every entry
tied to a recognizer, a knowledge point and a notebook section that exists."""
import json
import re
import tomllib

import pytest

from grader.feedback import registry
from grader.feedback.catalogue import (
    CATALOGUE_FILES, GRADED_FUNCTIONS, LANGUAGES, CatalogueError, load_catalogue, parse, read)
from grader.feedback.codecheck import code_fragments, contains_code
from tests.support import ROOT

CATALOGUE = load_catalogue()
MISTAKE_FIELDS = ("id", "function", "recognized_by", "check", "knowledge", "notebook", "section",
                  "diagnosis", "explanation", "question")
TEXT_FIELDS = ("diagnosis", "explanation", "question")
CJK = re.compile(r"[\u4e00-\u9fff]")


def raw_data() -> dict:
    data = {}
    for path in CATALOGUE_FILES:
        data.update(tomllib.loads(path.read_text()))
    return data


def test_the_graded_functions_are_the_hidden_tests():
    """Kept as its own tuple so that the hidden tests may import the feedback package."""
    from grader.hidden_tests.catalogue import GRADED_FUNCTIONS as TESTED
    assert set(GRADED_FUNCTIONS) == set(TESTED)


def test_at_least_thirty_entries_covering_every_graded_function():
    assert len(CATALOGUE.mistakes) >= 30
    covered = {function for m in CATALOGUE.mistakes for function in m.functions}
    assert covered == set(GRADED_FUNCTIONS)


def test_the_mistakes_the_course_asks_for_are_catalogued():
    required = {
        "bn_var_unbiased", "bn_running_momentum_swapped", "bn_running_var_from_std",
        "bn_test_uses_batch_stats", "bn_eps_outside_sqrt", "norm_params_not_summed",
        "bn_backward_no_mean_path", "bn_backward_no_var_path", "bn_stats_over_features",
        "ln_over_batch_axis", "sbn_reshape_without_moveaxis", "gn_groups_interleaved",
        "softmax_no_max_shift", "softmax_loss_summed", "dropout_not_inverted",
        "dropout_p_is_drop_probability", "dropout_backward_fresh_mask", "affine_no_flatten",
        "relu_backward_times_output", "momentum_sign_flipped", "rmsprop_decay_swapped",
        "adam_no_bias_correction", "adam_t_not_incremented", "net_norm_after_last_layer",
        "net_reg_gamma_beta", "net_l2_without_half", "net_test_mode_batch_stats",
        "bn_alt_sums_for_means"}
    assert required <= {m.id for m in CATALOGUE.mistakes}


def test_every_raw_entry_has_every_field_in_both_languages():
    data = raw_data()
    for entry in data["mistake"]:
        for field in MISTAKE_FIELDS:
            assert field in entry, (entry.get("id"), field)
        for field in TEXT_FIELDS:
            assert set(entry[field]) == set(LANGUAGES), (entry["id"], field)
            assert entry[field]["en"].strip() and entry[field]["zh"].strip(), (entry["id"], field)
    for kid, point in data["knowledge"].items():
        for field in ("title", "text", "question"):
            assert set(point[field]) == set(LANGUAGES), (kid, field)
        assert point["notebook"] and point["section"], kid
    assert set(data["functions"]) == set(GRADED_FUNCTIONS)
    for name, table in data["functions"].items():
        assert table["knowledge"] in data["knowledge"], name
        assert set(table["question"]) == set(LANGUAGES), name
    for table in ("phrases", "ui"):
        assert set(data[table]) == set(LANGUAGES)
        assert set(data[table]["en"]) == set(data[table]["zh"])


def test_chinese_texts_are_chinese_and_english_texts_are_not():
    for where, lang, text in CATALOGUE.student_texts():
        if not re.search(r"[^\W\d_]", re.sub(r"\{\w+\}", "", text)):
            continue        # only placeholders and punctuation ("{title}. {text}", ", ")
        if lang == "zh":
            assert CJK.search(text), (where, text)
        else:
            assert not CJK.search(text), (where, text)


def test_chinese_texts_use_the_field_terms():
    zh = " ".join(text for _, lang, text in CATALOGUE.student_texts() if lang == "zh")
    for term in ("批归一化", "反向传播", "滑动平均", "层归一化", "组归一化", "梯度", "方差", "均值",
                 "学习率", "偏差修正", "动量", "正则化"):
        assert term in zh, term


def test_no_student_visible_text_contains_code():
    found = [(where, lang, code_fragments(text)) for where, lang, text in CATALOGUE.student_texts()
             if contains_code(text)]
    assert not found, found


def test_every_text_is_scanned():
    """student_texts() covers every mistake, knowledge point, function, phrase and heading."""
    places = {where.split()[0] + " " + where.split()[1] for where, _, _ in CATALOGUE.student_texts()}
    assert {"mistake " + m.id for m in CATALOGUE.mistakes} <= places
    assert {"knowledge " + k for k in CATALOGUE.knowledge} <= places
    assert {"function " + f for f in GRADED_FUNCTIONS} <= places
    count = sum(1 for _ in CATALOGUE.student_texts())
    expected = 2 * (3 * len(CATALOGUE.mistakes) + 3 * len(CATALOGUE.knowledge) + len(GRADED_FUNCTIONS)
                    + len(CATALOGUE.phrases["en"]) + len(CATALOGUE.ui["en"]))
    assert count == expected


def notebook_headings(name: str) -> set:
    notebook = json.loads((ROOT / "notebooks" / name).read_text())
    return {line.lstrip("#").strip() for cell in notebook["cells"] if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("#")}


def test_every_notebook_section_named_exists():
    places = [(m.id, m.notebook, m.section) for m in CATALOGUE.mistakes]
    places += [(k.id, k.notebook, k.section) for k in CATALOGUE.knowledge.values()]
    places += [(f.function, f.notebook, f.section) for f in CATALOGUE.functions.values()]
    missing = [place for place in places if place[2] not in notebook_headings(place[1])]
    assert not missing, missing


def test_every_recognizer_is_used_and_every_check_exists():
    used = {(m.recognized_by, m.check) for m in CATALOGUE.mistakes}
    used |= {("exception", m.exception) for m in CATALOGUE.mistakes if m.exception}
    registered = {(kind, name) for kind in ("variant", "signature", "exception")
                  for name in registry.table_for(kind)}
    assert used == registered, registered ^ used


def test_an_entry_without_chinese_is_refused():
    data = raw_data()
    del data["mistake"][0]["diagnosis"]["zh"]
    with pytest.raises(CatalogueError, match="diagnosis.zh"):
        parse(data)


def test_an_entry_naming_an_unknown_recognizer_is_refused():
    data = raw_data()
    data["mistake"][0]["check"] = "no_such_check"
    with pytest.raises(CatalogueError, match="no_such_check"):
        parse(data)


def test_a_duplicate_id_is_refused():
    data = raw_data()
    data["mistake"].append(dict(data["mistake"][0]))
    with pytest.raises(CatalogueError, match="duplicate"):
        parse(data)


def test_a_table_defined_in_two_files_is_refused(tmp_path):
    copy = tmp_path / "again.toml"
    copy.write_text(CATALOGUE_FILES[0].read_text())
    with pytest.raises(CatalogueError, match="also defined"):
        read(CATALOGUE_FILES[0], copy)


def test_ui_strings_for_the_report():
    for lang in LANGUAGES:
        assert {"diagnosis", "numbers", "knowledge_point", "notebook", "question", "passed_tests",
                "failed_tests"} <= set(CATALOGUE.ui[lang])
    assert CATALOGUE.ui["en"]["notebook"] == "Where the notebook teaches it"
    assert CATALOGUE.ui["zh"]["failed_tests"] == "未通过的测试"


# --------------------------------------------------------------------------- the code checker

CODE = [
    "out = x @ w + b", "dx = dout * (x > 0)", "x.reshape(x.shape[0], -1)", "use .reshape(N, -1)",
    "np.var(x, ddof=1)", "x.transpose(0, 2, 3, 1)", "transpose(0, 2, 3, 1)", "mean over axis=0",
    "keepdims=True", "ddof=1", "x[:, 0]", "mask = np.random.rand(*x.shape) < p", "lambda p: p",
    "running_mean = momentum * running_mean", "cache += dw", "dx[mask] = 0", "v = mu * v - lr * dw",
    "w.T", "dw**2", "sum(dout, 0)", "config['t'] += 1", "dout / p", "np.sqrt", "`x - mu`",
    "x - mu", "running_mean + 1", "def relu(x):", "return dx", "for i in range(N):", "import numpy",
    "x̂ 等于 np.mean(x)", "(x > 0)", "a == b", "g.mean(axis=1, keepdims=True)", "dx = dx1 + dx2",
]
PROSE = [
    "x̂ = (x − μ)/√(σ² + ε)", "Σ over the batch", "divide by N−1 instead of N", "scale by 1/p",
    "γ·x̂ + β", "the mean μ = (1/N)·Σ xᵢ", "批归一化的方差用的是 N−1", "a keep rate of 1 − p", "with N=1",
    "ratio N/(N−1)", "y = 0 where x < 0", "if x > 0, the gradient flows", "and/or", "test-mode output",
    "moment estimates m̂ and v̂", "the loss is exactly N times too large", "dx has shape (4, 5)",
    "at position (2, 1)", "grads › W1", "Your running_mean and running_var are wrong.",
    "the ½ in front of the penalty", "v ← μ·v − α·∇w", "w ← w + v", "(x − μ)²", "σ² + ε",
    "uniform on [0, 1)", "section “6. Batch normalization inside `FullyConnectedNet`”",
    "1 − β₁ᵗ", "C/G × H × W values", "the first block is channels 0 to C/G − 1",
]


@pytest.mark.parametrize("text", CODE)
def test_code_is_found(text):
    assert contains_code(text), text


@pytest.mark.parametrize("text", PROSE)
def test_mathematics_and_prose_pass(text):
    assert not contains_code(text), code_fragments(text)
