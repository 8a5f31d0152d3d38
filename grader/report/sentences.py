"""The hidden tests' own sentences (a test's header, the lines of its checks, why a numerical
gradient could not be taken), said again in Chinese when a report is rendered in Chinese.

The hidden tests write their output in English (the results model carries plain text, also
across the worker boundary); `translated(text, "zh")` finds the English template a text was
formatted from and formats the Chinese one with the same values. Numbers, shapes and
identifiers are values: they stay as they are. A placeholder named s_* holds a phrase that
is itself translated (a step label, a list joined by "and"); templates whose key starts with
v_ are such phrases and are tried on them only. A text no template matches stays as it is:
tests/grader/test_languages.py renders Chinese reports of failing submissions and finds no
English sentence left.
"""
from __future__ import annotations

import re
from functools import lru_cache

SENTENCES: dict[str, dict[str, str]] = {
    # ---- headers: what a hidden test ran, on what ------------------------------------------
    "h_forward": {
        "en": "Compared the output of your {function} with the reference on {inputs}.",
        "zh": "在 {inputs} 上，把你的 {function} 的输出与参考实现作比较。"},
    "h_backward": {
        "en": "Ran your {forward} then your {backward} on {inputs} with a random upstream "
              "gradient dout {shape}.",
        "zh": "在 {inputs} 上先运行你的 {forward}，再用随机的上游梯度 dout {shape} 运行你的 {backward}。"},
    "h_softmax": {
        "en": "Compared the loss and dx of your softmax_loss with the reference on {inputs}.",
        "zh": "在 {inputs} 上，把你的 softmax_loss 的损失和 dx 与参考实现作比较。"},
    "h_running": {
        "en": "Ran your {function} for {steps} train-mode steps (a new x {shape} each step) "
              "starting from bn_param {param} and carrying bn_param from step to step, then once "
              "in test mode.",
        "zh": "从 bn_param {param} 开始，在训练模式下把你的 {function} 运行 {steps} 步（每步一个新的 "
              "x {shape}），每一步沿用上一步留下的 bn_param，最后在测试模式下运行一次。"},
    "h_at_step": {"en": "{s_header} At {s_label}:", "zh": "{s_header}在{s_label}时："},
    "h_bn_test_mode": {
        "en": "Compared the output of your batchnorm_forward with the reference on {inputs}, then "
              "called it with mode 'eval'.",
        "zh": "在 {inputs} 上，把你的 batchnorm_forward 的输出与参考实现作比较，然后用模式 'eval' 调用它。"},
    "h_dropout_rate": {
        "en": "Ran your dropout_forward in train mode on x {shape} with p = {s_ps}; counted the "
              "kept units.",
        "zh": "在训练模式下，以 p = {s_ps} 在 x {shape} 上运行你的 dropout_forward，统计保留的单元数。"},
    "h_dropout_seeds": {
        "en": "Ran your dropout_forward in train mode on {inputs}, p = {p}, with seeds {a}, {b}, {c}.",
        "zh": "在训练模式下，以 p = {p} 在 {inputs} 上运行你的 dropout_forward，随机种子依次为 {a}、{b}、{c}。"},
    "h_dropout_train": {
        "en": "Ran your dropout_forward in train mode on {inputs}, p = {p}.",
        "zh": "在训练模式下，以 p = {p} 在 {inputs} 上运行你的 dropout_forward。"},
    "h_dropout_test": {
        "en": "Ran your dropout_forward in test mode on {inputs}, p = {p}.",
        "zh": "在测试模式下，以 p = {p} 在 {inputs} 上运行你的 dropout_forward。"},
    "h_dropout_backward": {
        "en": "Ran your dropout_forward then your dropout_backward on {inputs} with dropout_param "
              "{param}; dx must use the mask of that forward pass, scaled as the forward scaled it.",
        "zh": "以 dropout_param {param} 在 {inputs} 上先运行你的 dropout_forward，再运行你的 "
              "dropout_backward；dx 必须使用这次前向传播的掩码，并按前向传播的方式缩放。"},
    "h_net": {
        "en": "Built FullyConnectedNet({options}, dtype=np.float64), set the same parameters in "
              "your model and the reference's, and called loss() on X {shapes}.",
        "zh": "构建 FullyConnectedNet({options}, dtype=np.float64)，给你的模型和参考模型设置相同的参数，"
              "然后在 X {shapes} 上调用 loss()。"},
    "h_net_loss": {"en": "{s_header} Compared the loss and every gradient.",
                   "zh": "{s_header}比较了损失和每一个梯度。"},
    "h_net_scores_last": {"en": "{s_header} The last call has no y: compared its scores.",
                          "zh": "{s_header}最后一次调用没有 y：比较了它的得分（scores）。"},
    "h_net_scores": {"en": "{s_header} Compared the scores.", "zh": "{s_header}比较了得分（scores）。"},
    "h_net_dropout": {
        "en": "{s_header} Compared your gradients with a numerical gradient of your own loss "
              "(dropout draws are yours), checked that dropout changes the training loss, and "
              "compared the test-mode scores with the reference.",
        "zh": "{s_header}把你的梯度与你自己的损失的数值梯度作比较（dropout 的随机抽样用的是你的），检查 "
              "dropout 是否改变了训练损失，并把测试模式下的得分与参考实现作比较。"},
    "h_net_init": {"en": "Built {s_models} and checked the initial params.",
                   "zh": "构建 {s_models}，并检查初始参数 params。"},
    "h_update_rule": {
        "en": "Ran your {rule} for {steps} steps on w {shape} (a new dw each step), starting from "
              "config {s_config} and passing each step the config the previous one returned.",
        "zh": "从 config {s_config} 开始，在 w {shape} 上把你的 {rule} 运行 {steps} 步（每步一个新的 "
              "dw），每一步传入上一步返回的 config。"},
    # ---- what one check found ---------------------------------------------------------------
    "c_kept_rate": {"en": "kept {rate}% of the units, expected {p}% ± {margin}%",
                    "zh": "保留了 {rate}% 的单元，期望 {p}% ± {margin}%"},
    "c_none_kept": {"en": "none: every output is 0", "zh": "一个也没有：所有输出都是 0"},
    "c_same_mask": {"en": "same mask", "zh": "掩码相同"},
    "c_different_masks": {"en": "different masks", "zh": "掩码不同"},
    "c_another_mask": {"en": "another mask", "zh": "掩码不同"},
    "c_the_same_mask": {"en": "the same mask", "zh": "掩码相同"},
    "c_not_a_dict_after": {"en": "{owner} is not a dict after the call",
                           "zh": "调用之后 {owner} 不是字典"},
    "c_write_back": {"en": "missing after the call: write it back into {owner}",
                     "zh": "调用之后不存在：请把它写回 {owner}"},
    "c_grads_not_dict": {"en": "a {type}, expected a dict keyed like params",
                         "zh": "得到 {type}，期望一个与 params 键相同的字典"},
    "c_loss_stub": {"en": "empty — is loss() still the stub?", "zh": "为空——loss() 是不是还没有实现？"},
    "c_grads_stub": {"en": "empty or not a dict — is loss() still the stub?",
                     "zh": "为空或不是字典——loss() 是不是还没有实现？"},
    "c_init_stub": {"en": "empty — is __init__ still the stub?",
                    "zh": "为空——__init__ 是不是还没有实现？"},
    "c_missing": {"en": "missing", "zh": "不存在"},
    "c_list_of_dicts": {"en": "expected a list of {count} dicts", "zh": "期望一个包含 {count} 个字典的列表"},
    "c_missing_as_yours": {"en": "missing, as your batchnorm_forward leaves it",
                           "zh": "不存在，与你的 batchnorm_forward 的做法一致"},
    "c_present_unlike_yours": {"en": "present, though your batchnorm_forward does not write it",
                               "zh": "存在，但你的 batchnorm_forward 并不写入它"},
    "c_params_not_dict": {"en": "a {type}, expected a dict", "zh": "得到 {type}，期望一个字典"},
    "c_unexpected_keys": {"en": "unexpected keys {keys}", "zh": "多出了键 {keys}"},
    "c_weight_statistics": {
        "en": "shape {shape}, mean {mean} (expected 0 ± {mean_margin}), std {std} (expected "
              "{scale} ± {std_margin})",
        "zh": "形状 {shape}，均值 {mean}（期望 0 ± {mean_margin}），标准差 {std}（期望 {scale} ± {std_margin}）"},
    "c_all_value": {"en": "shape {shape}, all {value}", "zh": "形状 {shape}，全部为 {value}"},
    "c_not_all_value": {"en": "shape {shape}, expected all {value}, found values from {low} to {high}",
                        "zh": "形状 {shape}，期望全部为 {value}，实际取值从 {low} 到 {high}"},
    "c_shape_expected": {"en": "shape {shape}, expected {expected}", "zh": "形状 {shape}，期望 {expected}"},
    "c_not_a_number": {"en": "not a number", "zh": "不是一个数"},
    "c_loss_constant": {
        "en": "does not change when any parameter moves: is loss() computing the network?",
        "zh": "无论哪个参数变化都不变：loss() 真的在计算这个网络吗？"},
    "c_dropout_changes_loss": {"en": "differs from the loss without dropout",
                               "zh": "与不用 dropout 时的损失不同"},
    "c_dropout_no_change": {
        "en": "the same as without dropout: is dropout applied in train mode?",
        "zh": "与不用 dropout 时相同：训练模式下真的应用了 dropout 吗？"},
    "c_loss_below_l2": {
        "en": "{loss}, not above the L2 term alone ({l2}): the softmax loss of every example is "
              "positive",
        "zh": "{loss}，没有超过单独的 L2 正则项（{l2}）：每个样本的 softmax 损失都是正的"},
    "c_raised_value_error": {"en": "raised ValueError", "zh": "抛出了 ValueError"},
    "c_raised_other": {"en": "raised {type}, expected ValueError", "zh": "抛出了 {type}，期望 ValueError"},
    "c_returned_normally": {"en": "returned normally, expected a ValueError",
                            "zh": "正常返回了，期望抛出 ValueError"},
    "c_config_not_dict": {"en": "a {type} after the last step, expected a dict",
                          "zh": "最后一步之后是 {type}，期望一个字典"},
    "c_not_an_array": {"en": "a {type}, expected a NumPy array (steps after it cannot be run)",
                       "zh": "得到 {type}，期望 NumPy 数组（之后的步骤无法运行）"},
    "c_not_run": {"en": "not run", "zh": "未运行"},
    "c_object": {"en": "an object of type {type}, which cannot be compared; return a NumPy array",
                 "zh": "类型为 {type} 的对象，无法比较；请返回 NumPy 数组"},
    "c_bool": {"en": "a bool, expected numbers", "zh": "布尔值，期望数值"},
    "c_complex": {"en": "complex numbers, expected real ones", "zh": "复数，期望实数"},
    "c_not_numbers": {"en": "a {type}, expected numbers", "zh": "得到 {type}，期望数值"},
    # ---- notes, failed calls, numerical gradients ---------------------------------------------
    "n_dropout_forward_first": {
        "en": "Implement dropout_forward first: dropout_backward is checked against the mask of "
              "your forward pass.",
        "zh": "请先实现 dropout_forward：dropout_backward 是对照你的前向传播的掩码来检查的。"},
    "n_raised": {"en": "your code raised {error}", "zh": "你的代码抛出了 {error}"},
    "n_raised_in": {"en": "your code raised {error} (in {where})", "zh": "你的代码（在 {where} 中）抛出了 {error}"},
    "n_no_module": {"en": "{message}, so this test could not run", "zh": "{message}，所以这个测试无法运行"},
    "g_returned_none": {"en": "it returned None", "zh": "它返回了 None"},
    "g_not_evaluated": {"en": "your {function} could not be evaluated on perturbed inputs ({why})",
                        "zh": "你的 {function} 无法在扰动后的输入上求值（{why}）"},
    "g_wrong_shape": {"en": "your {function} does not return an output of shape {shape}",
                      "zh": "你的 {function} 返回的输出形状不是 {shape}"},
    "g_non_finite": {"en": "your {function} returns nan or inf near these inputs",
                     "zh": "你的 {function} 在这些输入附近返回 nan 或 inf"},
    # ---- names of compared quantities ---------------------------------------------------------
    "q_out_at": {"en": "out ({s_label})", "zh": "out（{s_label}）"},
    "q_kept_units_nonzero": {"en": "kept units (out where out != 0)", "zh": "保留的单元（out 中不为 0 的元素）"},
    "q_kept_units": {"en": "kept units", "zh": "保留的单元"},
    "q_same_seed": {"en": "same seed twice", "zh": "同一种子两次"},
    "q_another_seed": {"en": "another seed", "zh": "另一个种子"},
    "q_mode_eval": {"en": "mode 'eval'", "zh": "模式 'eval'"},
    "q_training_loss": {"en": "training loss", "zh": "训练损失"},
    "q_loss_vs_parameters": {"en": "loss vs parameters", "zh": "损失与参数的关系"},
    "q_vs_numerical": {"en": "{name} vs numerical", "zh": "{name} 与数值梯度"},
    "q_test_mode_scores": {"en": "test-mode scores", "zh": "测试模式下的 scores"},
    "q_step": {"en": "{name} (step {step})", "zh": "{name}（第 {step} 步）"},
    "q_after_step": {"en": "{name} after step {step}", "zh": "第 {step} 步之后的 {name}"},
    "q_steps": {"en": "steps {first} to {last}", "zh": "第 {first} 到 {last} 步"},
    "q_out_of_forward": {"en": "out of your {function}", "zh": "你的 {function} 的 out"},
    "q_forward": {"en": "forward", "zh": "前向传播"},
    "q_backward": {"en": "backward", "zh": "反向传播"},
    # ---- phrases inside the sentences above (tried on s_* values only) ------------------------
    "v_train_step": {"en": "train step {step}", "zh": "训练第 {step} 步"},
    "v_test_mode": {"en": "test mode", "zh": "测试模式"},
    "v_and": {"en": "{first} and {s_rest}", "zh": "{first} 和 {s_rest}"},
    "v_defaults": {"en": "None (the defaults)", "zh": "None（使用默认值）"},
}


# A value (a shape, an identifier, a dict of settings) never spans two sentences; a phrase (s_*)
# may hold several.
VALUE_OR_PHRASE = {False: r"(?P<%s>(?:(?!\. [A-Z]).)+?)", True: r"(?P<%s>.+?)"}


def _placeholder(name: str) -> str:
    return VALUE_OR_PHRASE[name.startswith("s_")] % name


@lru_cache(maxsize=None)
def _patterns() -> list[tuple[str, re.Pattern]]:
    """(key, regex of its English template), the longest templates first so that a specific
    sentence wins over a shorter one it contains."""
    compiled = []
    for key, entry in SENTENCES.items():
        parts = re.split(r"{(\w+)}", entry["en"])
        regex = "".join(re.escape(part) if i % 2 == 0 else _placeholder(part)
                        for i, part in enumerate(parts))
        compiled.append((key, re.compile(regex + r"\Z", re.DOTALL)))
    return sorted(compiled, key=lambda item: -len(SENTENCES[item[0]]["en"]))


def translated(text: str, lang: str) -> str:
    """`text` in `lang` ("en", "zh" or "both": the English, then the Chinese on the next
    line), line by line; a line no template matches stays as it is."""
    if lang == "en" or not text:
        return text
    zh = "\n".join(_line(line) for line in text.split("\n"))
    if lang == "zh" or zh == text:
        return zh
    return text + "\n" + zh


def _line(line: str, phrase: bool = False) -> str:
    indent = line[:len(line) - len(line.lstrip())]
    body = line.strip()
    for key, pattern in _patterns():
        if key.startswith("v_") and not phrase:
            continue
        match = pattern.match(body)
        if match:
            values = {name: _line(value, True) if name.startswith("s_") else value
                      for name, value in match.groupdict().items()}
            return indent + SENTENCES[key]["zh"].format(**values)
    return line
