"""The tests' names as a student reads them: English, Chinese (中文) or both.

A test's English name (`TestResult.name`, "batchnorm_forward: train mode, N=1") is its
identity: the model, gradebook.csv, JUnit, resume fingerprints and the rubric's visibility
rules all use it. Only the report's edge (report.md/html, Gradescope's `name`) shows
`display_name(test, lang)`: the graded unit as it is, then what the test checks in `lang`.

ZH holds the Chinese of every `what` the hidden-test catalogue (grader/hidden_tests/) and the
notebook stage (grader/notebooks/runs.py: NOTEBOOK_TEST) can emit, keyed by the English
`what`; tests/grader/test_test_names.py checks that none is missing and that the Chinese
names stay unique. A `what` without an entry (a written answer's own title) stays English.
"""
from __future__ import annotations

import re

ZH: dict[str, str] = {
    # ---- layers ------------------------------------------------------------------------
    "2-D input": "二维输入",
    "4-D input reshaped to rows": "四维输入展平成行",
    "N=1, odd sizes": "N=1，奇数尺寸",
    "3-D input, dx keeps the input shape": "三维输入，dx 保持输入的形状",
    "mixed signs, 3-D input": "正负值混合的三维输入",
    "all-negative input": "全为负值的输入",
    "mixed signs": "正负值混合的输入",
    "4-D input": "四维输入",
    "small logits": "较小的 logits",
    "large logits (numerical stability)": "较大的 logits（数值稳定性）",
    "N=1": "只有一个样本（N=1）",
    # ---- normalization -----------------------------------------------------------------
    "train mode, shifted and scaled input": "训练模式，经过平移和缩放的输入",
    "train mode, tiny-variance input": "训练模式，方差极小的输入",
    "train mode, N=1": "训练模式，N=1",
    "running averages over 4 train steps, custom eps and momentum, then test mode":
        "训练模式下连续 4 步更新滑动平均（自定义 eps 和 momentum），然后切换到测试模式",
    "test mode uses the running averages; an unknown mode raises ValueError":
        "测试模式使用滑动平均；未知的 mode 抛出 ValueError",
    "small batch (N=4, D=5)": "小批量（N=4，D=5）",
    "tiny-variance input": "方差极小的输入",
    "odd sizes (N=7, D=3), large gamma": "奇数尺寸（N=7，D=3），较大的 gamma",
    "rows with different means and scales": "各行的均值和尺度各不相同",
    "tiny-variance rows": "方差极小的行",
    "N=1, odd D, eps=1e-3 from ln_param": "N=1，D 为奇数，eps=1e-3 取自 ln_param",
    "tiny-variance rows, odd sizes": "方差极小的行，奇数尺寸",
    "(N, C, H, W) maps, train mode": "(N, C, H, W) 特征图，训练模式",
    "(N, C, L) 1-D maps": "(N, C, L) 一维特征图",
    "(N, C, D, H, W) 3-D maps (5-D input), tiny variance":
        "(N, C, D, H, W) 三维特征图（五维输入），方差极小",
    "test mode after 2 train steps (running averages)": "训练 2 步之后的测试模式（滑动平均）",
    "(N, C, H, W) maps": "(N, C, H, W) 特征图",
    "(N, C, D, H, W) 3-D maps (5-D input)": "(N, C, D, H, W) 三维特征图（五维输入）",
    "G=2 groups of 3 channels": "G=2 组，每组 3 个通道",
    "G=1 (layer norm over C, H, W), tiny variance": "G=1（在 C、H、W 上做层归一化），方差极小",
    "G=C (one channel per group), N=1": "G=C（每组一个通道），N=1",
    "G=3 groups of 2 channels": "G=3 组，每组 2 个通道",
    "G=C (one channel per group)": "G=C（每组一个通道）",
    # ---- dropout -----------------------------------------------------------------------
    "train mode keeps each unit with probability p": "训练模式下以概率 p 保留每个单元",
    "train mode scales kept units by 1/p, 3-D input": "训练模式下保留的单元乘以 1/p，三维输入",
    "test mode is the identity": "测试模式下是恒等映射",
    "the same seed gives the same mask, another seed another one":
        "相同的随机种子给出相同的掩码，不同的种子给出不同的掩码",
    "train mode reuses the forward's mask": "训练模式下沿用前向传播的掩码",
    "train mode with a seed, 3-D input": "训练模式，指定随机种子，三维输入",
    # ---- the network -------------------------------------------------------------------
    "parameter names, shapes and initialization": "参数名、形状和初始化",
    "batch/layer norm parameters: gamma ones, beta zeros, none on the last layer":
        "批归一化/层归一化的参数（gamma 全为 1，beta 全为 0，最后一层没有这些参数）",
    "loss and gradients, no normalization, 4-D input": "损失和梯度，不做归一化，四维输入",
    "loss and gradients with L2 regularization (reg > 0)": "带 L2 正则化的损失和梯度（reg > 0）",
    "loss, gradients and running averages with batch normalization":
        "使用批归一化时的损失、梯度和滑动平均",
    "loss and gradients with layer normalization": "使用层归一化时的损失和梯度",
    "test-mode scores after 2 training steps with batch normalization":
        "使用批归一化训练 2 步之后，测试模式下的类别分数",
    "scores when y is None, N=1": "y 为 None 时返回的类别分数，N=1",
    "dropout with a seed: gradients match the numerical gradient of your loss":
        "使用随机失活（指定随机种子）时，梯度与你的损失的数值梯度一致",
    # ---- update rules ------------------------------------------------------------------
    "5 steps with the default config": "默认配置下更新 5 步",
    "custom learning_rate and momentum, 3-D weights": "自定义 learning_rate 和 momentum，三维权重",
    "custom learning_rate and decay_rate": "自定义 learning_rate 和 decay_rate",
    "custom betas, resuming at t=5 with given moments":
        "自定义 beta1 和 beta2，从 t=5 继续并给定一阶矩和二阶矩",
    # ---- notebooks ---------------------------------------------------------------------
    "runs to the end": "从头到尾无错误地运行完",
}

# Written answers are named by the handout's own heading ("Inline Question 2").
_INLINE_QUESTION = re.compile(r"Inline Question (\w+)")


def chinese_what(what: str) -> str | None:
    """The Chinese of a test's `what`, or None when there is none."""
    if what in ZH:
        return ZH[what]
    if match := _INLINE_QUESTION.fullmatch(what):
        return f"随堂问题 {match.group(1)}"
    return None


def display_name(function: str, what: str, lang: str = "en", separator: str = "：") -> str:
    """The name a student reads: "<function>: <what>" in English; in Chinese the same unit, then
    `separator` and the Chinese (Gradescope's name keeps ": ", which its readers split on); in
    "both", the English name then " / " and the Chinese. Without a Chinese entry, the English."""
    english = f"{function}: {what}"
    chinese = chinese_what(what) if lang in ("zh", "both") else None
    if chinese is None:
        return english
    return f"{function}{separator}{chinese}" if lang == "zh" else f"{english} / {chinese}"
