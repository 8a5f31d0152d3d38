"""The words of the reports in English and Chinese (中文), by key.

`say(key, lang, **values)` renders one entry: lang "en", "zh", or "both" (English, then the
Chinese on its own line or after " / " for short labels). Every string the report writes for a
student comes from here or from the mistake catalogue (grader/feedback/); a test checks
that every key exists in both languages and that no entry contains solution code.
"""
from __future__ import annotations

LANGUAGES = ("en", "zh", "both")

UI: dict[str, dict[str, str]] = {
    # ---- report.md / report.html ---------------------------------------------------------
    "report_title": {"en": "Grading report: {name}", "zh": "评分报告：{name}"},
    "total": {"en": "Total", "zh": "总分"},
    "tests_passed_of": {"en": "{passed} of {count} passed", "zh": "{count} 个测试中通过 {passed} 个"},
    "seed": {"en": "Seed", "zh": "随机种子"},
    "rerun_with": {"en": "rerun with", "zh": "复现请用"},
    "isolation": {"en": "Isolation", "zh": "隔离方式"},
    "execution_time": {"en": "Execution time", "zh": "运行时间"},
    "grader": {"en": "Grader", "zh": "评分程序"},
    "fingerprint": {"en": "fingerprint", "zh": "指纹"},
    "could_not_be_graded": {"en": "Could not be graded", "zh": "无法评分"},
    "notes_on_submission": {"en": "Notes on this submission", "zh": "关于本次提交的说明"},
    "grader_warnings": {"en": "Grader warnings", "zh": "评分程序警告"},
    "scores": {"en": "Scores", "zh": "各部分得分"},
    "col_function": {"en": "function", "zh": "函数"},
    "col_score": {"en": "score", "zh": "得分"},
    "col_tests_passed": {"en": "tests passed", "zh": "通过的测试"},
    "col_total": {"en": "total", "zh": "合计"},
    "hidden_test": {"en": "hidden test", "zh": "隐藏测试"},
    "executed_notebooks": {"en": "Executed notebooks", "zh": "已运行的 Notebook"},
    "passed_tests": {"en": "Passed tests ({count})", "zh": "已通过的测试（{count} 个）"},
    "diagnosis": {"en": "Diagnosis", "zh": "诊断"},
    "all_passed": {"en": "All {count} tests passed.", "zh": "全部 {count} 个测试通过。"},
    "some_failed": {"en": "{failed} of {count} tests failed.", "zh": "{count} 个测试中有 {failed} 个未通过。"},
    "no_isolation": {
        "en": "**⚠️ WARNING: NO ISOLATION (isolation level “none”).** The student's code ran as the "
              "grader's own user with resource limits only. It could have read the reference "
              "solutions and hidden inputs, or written where the grader writes. Treat these scores "
              "as untrusted and regrade with bubblewrap or an unprivileged user.",
        "zh": "**⚠️ 警告：没有隔离（隔离级别为 “none”）。** 学生代码以评分程序自己的用户身份运行，只有资源"
              "限制，可能读到参考答案和隐藏输入，或写入评分程序的输出位置。这些分数不可信，请用 "
              "bubblewrap 或非特权用户重新评分。"},
    "why_values": {"en": "Some returned values differ from the reference: see the first mismatch below.",
                   "zh": "有些返回值与参考实现不一致：请看下面的第一个不一致处。"},
    "why_stub": {"en": "It still returns None: it is not implemented yet.",
                 "zh": "它仍然返回 None：还没有实现。"},
    "why_raised": {"en": "Your code raised an exception: the message is below.",
                   "zh": "你的代码抛出了异常：错误信息见下方。"},
    "why_timeout": {"en": "Your code did not finish in time: look for a loop that never ends.",
                    "zh": "你的代码没有在限定时间内结束：检查是否有不会结束的循环。"},
    "why_died": {"en": "The process running your code stopped: the reason is below.",
                 "zh": "运行你代码的进程中止了：原因见下方。"},
    "why_not_loaded": {"en": "Your module could not be imported, so nothing in it could be tested.",
                       "zh": "你的模块无法导入，所以其中的函数都无法测试。"},
    "why_bad_return": {"en": "It returns the wrong number of values.",
                       "zh": "它返回的值的个数不对。"},
    "why_backward_wrong": {"en": "The forward pass is right; the backward pass is not its gradient.",
                           "zh": "前向传播是对的；反向传播不是它的梯度。"},
    "why_forward_wrong": {"en": "The backward pass is the gradient of your forward pass, which is wrong: fix the forward first.",
                          "zh": "反向传播是你的前向传播的梯度，但前向传播是错的：请先修正前向传播。"},
    "why_both_wrong": {"en": "The forward pass is wrong, and the backward pass is not its gradient either: start with the forward.",
                       "zh": "前向传播是错的，反向传播也不是它的梯度：请从前向传播开始修正。"},
    "why_imprecise": {"en": "The backward pass is the gradient of your forward pass but loses precision.",
                      "zh": "反向传播是你的前向传播的梯度，但损失了精度。"},
    "why_grader_error": {"en": "The grader failed on this test: tell your instructor.",
                         "zh": "评分程序在这个测试上出错了：请告诉老师。"},
    "why_notebook": {"en": "The notebook did not run to the end without an error.",
                     "zh": "这个 notebook 没有从头到尾无错误地运行完。"},
    "why_notebook_functions": {"en": "Hidden tests of functions the notebook calls fail.",
                               "zh": "这个 notebook 调用的函数没有通过隐藏测试。"},
    "why_not_submitted": {"en": "The notebook was not submitted.", "zh": "没有提交这个 notebook。"},
    "why_not_run": {"en": "The submission's time limit was reached first.",
                    "zh": "在此之前已达到整个提交的时间限制。"},
    # ---- detail lines --------------------------------------------------------------------
    "relative_error": {"en": "Relative error", "zh": "相对误差"},
    "tolerance": {"en": "tolerance", "zh": "容差"},
    "shapes": {"en": "Shapes", "zh": "形状"},
    "first_mismatch": {"en": "First mismatch", "zh": "第一个不一致处"},
    "mismatch_text": {"en": "at index {index}: yours {yours}, expected {expected}",
                      "zh": "位于索引 {index}：你的值 {yours}，期望值 {expected}"},
    "details": {"en": "Details", "zh": "详情"},
    "withheld": {"en": "withheld (hidden test)", "zh": "不显示（隐藏测试）"},
    # ---- Gradescope summary ----------------------------------------------------------------
    "score_line": {"en": "Score: {score} / {max_score} ({percent}%)",
                   "zh": "得分：{score} / {max_score}（{percent}%）"},
    "not_graded_reason": {"en": "This submission could not be graded: {reason}",
                          "zh": "本次提交无法评分：{reason}"},
    "shown_passed": {"en": "{passed} of {count} tests shown passed.",
                     "zh": "显示的 {count} 个测试中通过 {passed} 个。"},
    "not_shown": {"en": "Tests not shown here: {count}.", "zh": "此处未显示的测试：{count} 个。"},
    "notes": {"en": "Notes", "zh": "说明"},
    "warnings": {"en": "Warnings", "zh": "警告"},
    # ---- a test's output (grader/report/prose.py) ------------------------------------------
    "what_to_look_at": {"en": "What to look at:", "zh": "需要检查的地方："},
    "f_expected": {"en": ", expected {expected}", "zh": "，期望 {expected}"},
    "f_shape": {"en": "shape {shape}, expected {expected}", "zh": "形状 {shape}，期望 {expected}"},
    "f_same_size": {"en": " (same number of entries: a reshape, a transpose or keepdims?)",
                    "zh": "（元素个数相同：是变形、转置还是 keepdims 的问题？）"},
    "f_non_finite": {
        "en": "contains {value}{at} where the expected value is {expected} (an overflow, a division "
              "by zero or the log of 0?)",
        "zh": "{at}含有 {value}，而期望值是 {expected}（是溢出、除以零，还是对 0 取了对数？）"},
    "f_at_index": {"en": " at index {index}", "zh": "在索引 {index} 处"},
    "f_shape_then": {"en": "shape {shape}, ", "zh": "形状 {shape}，"},
    "f_rel_error": {"en": "relative error", "zh": "相对误差"},
    "f_norm_error": {"en": "relative error (of the norms)", "zh": "相对误差（按范数计）"},
    "f_within": {"en": "{label} {error} within tolerance {tolerance}",
                 "zh": "{label} {error}，在容差 {tolerance} 以内"},
    "f_above": {"en": "{label} {error} above tolerance {tolerance}",
                "zh": "{label} {error}，超出容差 {tolerance}"},
    "f_mismatch": {"en": "; {where}: yours {yours}, expected {expected}",
                   "zh": "；{where}：你的值 {yours}，期望值 {expected}"},
    "f_first_mismatch": {"en": "first mismatch at index {index}", "zh": "第一个不一致处在索引 {index}"},
    "f_the_value": {"en": "the value", "zh": "该值"},
    "stub": {"en": "returned None — is the function still the stub?",
             "zh": "返回了 None——这个函数是不是还没有实现？"},
    "grader_error": {
        "en": "The grader could not finish this test ({error}). This is a grader problem: please "
              "report it with this output.",
        "zh": "评分程序未能完成这个测试（{error}）。这是评分程序的问题，不是你的错：请把这段输出报告给老师。"},
    "call_raised": {"en": "Calling your {where}: {message}", "zh": "调用你的 {where} 时：{message}"},
    "call_timeout": {"en": "Your {where} {message}.", "zh": "你的 {where}：{message}。"},
    "call_died": {"en": "While running your {where}, {message}", "zh": "运行你的 {where} 时，{message}"},
    "bad_return": {"en": "Your {where} returned {returned}; expected {expected}.",
                   "zh": "你的 {where} 返回了 {returned}；期望返回 {expected}。"},
    "keyword_translated": {
        "en": "Your FullyConnectedNet takes the keywords of the CS231n {starter} starter, so it was "
              "built with {theirs} where this test says {ours}{meaning}.",
        "zh": "你的 FullyConnectedNet 使用 CS231n {starter} 版起始代码的参数名，所以测试中的 {ours} "
              "以 {theirs} 传入{meaning}。"},
    "keyword_dropout_drop": {"en": " (there, dropout is the probability of dropping a unit)",
                             "zh": "（那一版中 dropout 是丢弃一个单元的概率）"},
    "keyword_dropout_keep": {"en": " (there, dropout is the probability of keeping a unit)",
                             "zh": "（那一版中 dropout 是保留一个单元的概率）"},
    "keyword_missing": {
        "en": "Your FullyConnectedNet takes the keywords of the CS231n {starter} starter, which has "
              "no keyword for {ours}: it was called with {ours} as it is.",
        "zh": "你的 FullyConnectedNet 使用 CS231n {starter} 版起始代码的参数名，那一版没有表示 {ours} "
              "的参数：按 {ours} 原样调用。"},
    "starter_mode_line": {
        "en": "Your FullyConnectedNet.loss keeps the given line of the CS231n {starter} starter "
              "that stores the mode under a key named after the mode's own value instead of under "
              "'mode', which never switches batch norm to test mode: the grader set each bn_param's 'mode' "
              "before every call to loss().",
        "zh": "你的 FullyConnectedNet.loss 保留了 CS231n {starter} 版起始代码中给出的那一行"
              "：它把模式存在以模式的值为键的位置，而不是 'mode' 键下，批归一化因此永远不会切换到"
              "测试模式：评分程序在每次调用 loss() 之前替你设置了每个 bn_param 的 'mode'。"},
    "forward_vs_reference": {"en": "Your {fwd} against the reference: {text}",
                             "zh": "你的 {fwd} 与参考实现对比：{text}"},
    "no_numeric_gradient": {"en": "No numerical gradient of your {fwd}: {why}.",
                            "zh": "无法对你的 {fwd} 求数值梯度：{why}。"},
    "against_numeric": {"en": "Your {bwd} against the numerical gradient of your own {fwd}:",
                        "zh": "你的 {bwd} 与你自己的 {fwd} 的数值梯度对比："},
    "verdict_backward_wrong": {
        "en": "Your {fwd} is right, so the {bwd} is at fault: it does not match the gradient of "
              "your {fwd}.",
        "zh": "你的 {fwd} 是对的，所以问题出在 {bwd}：它与你的 {fwd} 的梯度不一致。"},
    "verdict_imprecise": {
        "en": "Your {bwd} matches the numerical gradient of your {fwd} but not the reference within "
              "the tolerance: a loss of precision (float32, or a cancellation)?",
        "zh": "你的 {bwd} 与你的 {fwd} 的数值梯度一致，但与参考实现的差距超出容差：是不是精度损失"
              "（float32，或相近数相减）？"},
    "verdict_forward_wrong": {
        "en": "Your {bwd} matches the numerical gradient of your own {fwd} but your {fwd} is wrong "
              "— fix the {fwd} first.",
        "zh": "你的 {bwd} 与你自己的 {fwd} 的数值梯度一致，但你的 {fwd} 是错的——请先修正 {fwd}。"},
    "verdict_both_wrong": {
        "en": "Your {fwd} is wrong, and your {bwd} does not match the gradient of your {fwd} either: "
              "fix the {fwd} first, then check the {bwd} against a numerical gradient "
              "(gradient_check.py).",
        "zh": "你的 {fwd} 是错的，你的 {bwd} 也与你的 {fwd} 的梯度不一致：请先修正 {fwd}，再用数值梯度"
              "（gradient_check.py）检查 {bwd}。"},
    # ---- fair scoring: what was accepted, the student's own functions, contracts ---------------
    "accepted_singleton": {
        "en": "Accepted: {quantity} has shape {shape} where {expected} is expected; they differ only "
              "by axes of length 1 and the values are right. Return {expected}: a result has the "
              "shape of what it belongs to (gamma, beta and the running averages are (D,)), and an "
              "extra axis of length 1 broadcasts silently later (a (D,) parameter updated with a "
              "(1, D) gradient becomes (1, D); an (N,) vector combined with an (N, 1) one becomes "
              "(N, N)).",
        "zh": "已接受：{quantity} 的形状是 {shape}，期望的是 {expected}；两者只差长度为 1 的轴，数值正确。"
              "请返回 {expected}：结果的形状应与它所属的量一致（gamma、beta 和滑动平均都是 (D,)），多出的"
              "长度为 1 的轴之后会被悄悄广播（(D,) 的参数用 (1, D) 的梯度更新后变成 (1, D)；(N,) 的向量与 "
              "(N, 1) 的向量运算会得到 (N, N)）。"},
    "accepted_variant": {
        "en": "Accepted: your values match a standard variant of the formula: {variant}.",
        "zh": "已接受：你的结果与该公式的一种标准变体一致：{variant}。"},
    "variant_eps_inside_sqrt": {
        "en": "epsilon inside the square root of the cache (TensorFlow's form), where the reference "
              "adds it after the square root",
        "zh": "epsilon 放在 cache 的平方根里面（TensorFlow 的写法），参考实现把它加在平方根之后"},
    "variant_adam_eps_inside_sqrt": {
        "en": "epsilon inside the square root of the corrected second moment, where the reference "
              "adds it after the square root",
        "zh": "epsilon 放在修正后的二阶矩的平方根里面，参考实现把它加在平方根之后"},
    "variant_adam_folded_correction": {
        "en": "the bias correction folded into the step size, with epsilon on the uncorrected second "
              "moment (the Adam paper's efficient form, TensorFlow's)",
        "zh": "偏差修正并入步长，epsilon 加在未修正的二阶矩上（Adam 论文中的高效写法，也是 TensorFlow 的写法）"},
    "variant_adam_t_after_use": {
        "en": "the step count t starting at 1 and incremented after it is used (an older starter's "
              "default), which gives the same steps with the stored t one ahead",
        "zh": "步数 t 从 1 开始、使用之后再加一（旧版起始代码的默认做法），每一步的结果相同，只是保存的 t 多 1"},
    "variant_velocity_positive": {
        "en": "the velocity kept with the opposite sign (the learning-rate step added to it and the "
              "velocity subtracted from the weights), which gives the same steps",
        "zh": "速度以相反的符号保存（学习率那一步加到速度上，再从权重中减去速度），每一步的结果相同"},
    "variant_velocity_without_rate": {
        "en": "the velocity kept without the learning rate (PyTorch's form, the learning rate applied "
              "when the weights move), which gives the same steps for a constant learning rate",
        "zh": "速度不含学习率（PyTorch 的写法，更新权重时才乘学习率），学习率不变时每一步的结果相同"},
    "relation_composition_above": {
        "en": "Against your own {composed}, called by the grader on the same input (reshaped where "
              "needed):",
        "zh": "与你自己的 {composed} 比较（评分程序在同样的输入上调用它们，必要时先变形）："},
    "relation_composition_after": {
        "en": "your {function} is consistent with your {deps}.",
        "zh": "你的 {function} 与你的 {deps} 一致。"},
    "relation_statistics_above": {
        "en": "Against the backward formula evaluated at your own {composed}'s values (x_hat and "
              "1/std read back from its output):",
        "zh": "与在你自己的 {composed} 的数值上计算的反向公式比较（x_hat 和 1/std 由它的输出反推）："},
    "relation_statistics_after": {
        "en": "your {function} is right for the statistics your {composed} computed.",
        "zh": "对于你的 {composed} 算出的统计量，你的 {function} 是对的。"},
    "relation_gradient_above": {
        "en": "Against the gradient of your own {composed} (its output divided by x where it kept "
              "a unit):",
        "zh": "与你自己的 {composed} 的梯度比较（在保留的单元上为输出除以 x）："},
    "relation_gradient_after": {
        "en": "your {function} is the gradient of your {composed}.",
        "zh": "你的 {function} 正是你的 {composed} 的梯度。"},
    "relation_network_above": {
        "en": "Against your own layers ({composed}), composed by the grader layer by layer:",
        "zh": "与你自己的各层（{composed}）比较，由评分程序逐层组合："},
    "relation_network_after": {
        "en": "your {function} is consistent with your layers.",
        "zh": "你的 {function} 与你的各层一致。"},
    "relation_substituted_above": {
        "en": "Run again with the answers of the assignment's {deps} (recorded by the grader on "
              "the inputs your other layers gave it) in place of yours, your other layers ({composed}) "
              "as they are:",
        "zh": "评分程序把你的 {deps} 换成作业中该函数在同样输入上的答案（由评分程序记录），你的其他各层"
              "（{composed}）保持原样，再运行一次："},
    "relation_substituted_after": {
        "en": "your {function} is right once {deps} is.",
        "zh": "只要 {deps} 正确，你的 {function} 就是对的。"},
    "relation_cache_above": {
        "en": "Your {deps} raised, so your {function} was called on a cache built from the "
              "layer's inputs ({composed}):",
        "zh": "你的 {deps} 抛出了异常，所以评分程序用由该层输入构造的缓存（{composed}）调用了你的 {function}："},
    "relation_cache_after": {
        "en": "your {function} is right for that cache.",
        "zh": "对于这个缓存，你的 {function} 是对的。"},
    "relation_right_cache_above": {
        "en": "Your {deps} is wrong or raised, so your {function} was also called on the cache "
              "the assignment's {deps} writes for this input (the same layout as the cache yours "
              "returns):",
        "zh": "你的 {deps} 是错的或抛出了异常，所以评分程序还用作业中的 {deps} 在这个输入上写出的缓存"
              "（与你的 {deps} 返回的缓存布局相同）调用了你的 {function}："},
    "relation_right_cache_after": {
        "en": "your {function} is right for a right cache.",
        "zh": "对于正确的缓存，你的 {function} 是对的。"},
    "relies_one": {
        "en": "{deps} is wrong; fix it first: {after} This test keeps its points.",
        "zh": "{deps} 是错的，请先修正它：{after}本测试的分数保留。"},
    "relies_many": {
        "en": "{deps} are wrong; fix them first: {after} This test keeps its points.",
        "zh": "{deps} 是错的，请先修正它们：{after}本测试的分数保留。"},
    "why_relies_on_wrong": {
        "en": "Only because {deps} is wrong: the function is consistent with it and keeps its "
              "points; fix that first.",
        "zh": "只是因为 {deps} 有错：这个函数与它一致，分数保留；请先修正那个函数。"},
    "contract_spatial_4d_only": {
        "en": "Your {function} handles (N, C, H, W) input only (it unpacks four sizes or transposes "
              "four axes); this assignment also gives (N, C, L) and (N, C, D, H, W) feature maps, as "
              "its docstring says.",
        "zh": "你的 {function} 只能处理 (N, C, H, W) 的输入（它解包四个维度或按四个轴转置）；本作业也会给出 "
              "(N, C, L) 和 (N, C, D, H, W) 的特征图，文档字符串里写明了这一点。"},
    "contract_dropout_drop_probability": {
        "en": "Your {function} treats p as the probability of dropping a unit (the convention of the "
              "2016-2017 starter code); in this assignment p is the probability of keeping one.",
        "zh": "你的 {function} 把 p 当作丢弃一个单元的概率（2016-2017 年起始代码的约定）；本作业中 p 是保留"
              "一个单元的概率。"},
    "contract_adam_t_from_1": {
        "en": "Your adam matches the reference with t starting at 1 instead of 0 (an older starter's "
              "default): here the step count t in config starts at 0 and is incremented before it is used, so the "
              "first step uses t = 1.",
        "zh": "如果 t 从 1 而不是 0 开始，你的 adam 与参考实现一致（旧版起始代码的默认值）：本作业中 "
              "config 里的步数 t 从 0 开始，并在使用前加一，所以第一步用的是 t = 1。"},
    "contract_adam_t_after_use_resumed": {
        "en": "Your adam uses the step count t in config before incrementing it (the convention of starters where t "
              "starts at 1); here t counts the steps already taken and is incremented first, so a "
              "config resuming at t = 5 makes the next step use t = 6.",
        "zh": "你的 adam 先使用 config 里的步数 t 再加一（t 从 1 开始的起始代码的约定）；本作业中 t 是已经走过的"
              "步数，先加一再使用，所以从 t = 5 继续时，下一步用的是 t = 6。"},
    # ---- notebooks -------------------------------------------------------------------------
    "nb_cell_failed": {"en": "{where}, which begins `{source}`:", "zh": "{where}（开头是 `{source}`）："},
    "nb_cell": {"en": "Cell {cell}", "zh": "第 {cell} 个单元格"},
    "nb_unreadable": {"en": "notebook {notebook} could not be read: {error}",
                      "zh": "无法读取 notebook {notebook}：{error}"},
    "nb_no_kernel": {
        "en": "The grader could not start a Jupyter kernel for this notebook (a problem on the "
              "grader's side, not in your work; tell your instructor): {error}",
        "zh": "评分程序无法为这个 notebook 启动 Jupyter 内核（这是评分程序的问题，不是你的错；请告诉老师）：{error}"},
    "nb_all_ran": {"en": "All {cells} code cells ran without an error ({seconds} s).",
                   "zh": "全部 {cells} 个代码单元格都无错误地运行完毕（{seconds} 秒）。"},
    "nb_ran": {"en": "{ran} of {cells} code cells ran, {clean} of them without an error.",
               "zh": "{cells} 个代码单元格中运行了 {ran} 个，其中 {clean} 个没有错误。"},
    "nb_partial": {"en": "Partial credit: {clean}/{cells} of the points.",
                   "zh": "部分得分：按 {clean}/{cells} 的比例给分。"},
    "nb_all_or_nothing": {"en": "The points go to a notebook that runs to the end without an error.",
                          "zh": "只有从头到尾无错误运行完的 notebook 才得分。"},
    "nb_see_executed": {"en": "The executed notebook in your report shows every cell's output.",
                        "zh": "报告中已运行的 notebook 显示了每个单元格的输出。"},
    "nb_not_submitted": {
        "en": "You did not submit {notebook} (or it could not be used): the handout's notebook was "
              "run with your code, to show what your functions do.",
        "zh": "你没有提交 {notebook}（或者它无法使用）：评分程序用你的代码运行了发放的原始 notebook，"
              "以展示你的函数的行为。"},
    "nb_earns_nothing": {"en": "It earns no points.", "zh": "它不得分。"},
    "nb_earns": {"en": "The rubric gives it points all the same.", "zh": "按评分标准，它照样得分。"},
    "nb_functions_failing": {
        "en": "The hidden tests of {functions} fail, and this notebook calls them: a notebook earns "
              "its points only when the functions it calls pass their hidden tests, since a "
              "notebook's own cells can change what it prints.",
        "zh": "{functions} 没有通过隐藏测试，而这个 notebook 调用了它们：只有当 notebook 调用的函数"
              "都通过隐藏测试时它才得分，因为 notebook 自己的单元格可以改变它打印的内容。"},
    "nb_functions_pass": {"en": "The hidden tests of the functions it calls ({functions}) pass.",
                          "zh": "它调用的函数（{functions}）都通过了隐藏测试。"},
    "nb_no_functions": {
        "en": "The rubric names no graded functions for this notebook, so it earns no points "
              "(tell your instructor).",
        "zh": "评分标准没有为这个 notebook 指定任何被评分的函数，所以它不得分（请告诉老师）。"},
    "nb_hook": {
        "en": "Cell {cell} installs {what}: it changes how the kernel runs or reports later cells. "
              "The score does not rely on what the kernel reports.",
        "zh": "第 {cell} 个单元格安装了 {what}：它会改变内核运行或报告后续单元格的方式。"
              "评分不依赖内核报告的内容。"},
    "hook_input_transformer": {"en": "an input transformer", "zh": "输入转换器"},
    "hook_ast_transformer": {"en": "an AST transformer", "zh": "AST 转换器"},
    "hook_exception_handler": {"en": "a custom exception handler", "zh": "自定义异常处理器"},
    "hook_excepthook": {"en": "an exception hook", "zh": "异常钩子"},
    "hook_event_callback": {"en": "an event callback", "zh": "事件回调"},
    "hook_traceback_display": {"en": "a replaced traceback display", "zh": "替换的错误回溯显示"},
    "hook_cell_runner": {"en": "a replaced cell runner", "zh": "替换的单元格执行器"},
    "hook_magic": {"en": "a magic", "zh": "魔法命令"},
    "a_notebook": {"en": "notebook", "zh": "笔记本（notebook）"},
    "a_test": {"en": "test", "zh": "测试"},
    "not_run_before": {
        "en": "Not run: the whole submission's time limit was reached before this {what} could start.",
        "zh": "未运行：这个{what}开始之前，已达到整个提交的时间限制。"},
    "not_run_during": {
        "en": "Not finished: the whole submission's time limit was reached while this {what} ran.",
        "zh": "未完成：这个{what}运行期间，达到了整个提交的时间限制。"},
    # ---- hand-in time and written answers (grader/course/) ---------------------------------
    "hand_in_title": {"en": "Hand-in and written answers", "zh": "提交时间与书面回答"},
    "handed_in": {"en": "Handed in {when} (from {source}); due {due}.",
                  "zh": "提交时间 {when}（依据 {source}）；截止时间 {due}。"},
    "on_time": {"en": "On time.", "zh": "按时提交。"},
    "late_in_grace": {"en": "{late} late, within the grace period: no penalty.",
                      "zh": "迟交 {late}，在宽限期内：不扣分。"},
    "late_penalty": {"en": "{late} late ({days} started day(s) charged): {percent}% off, -{points} points.",
                     "zh": "迟交 {late}（按 {days} 天计）：扣除 {percent}%，即 {points} 分。"},
    "answers_count": {"en": "Written answers: {answered} of {count} answered.",
                      "zh": "书面回答：{count} 题中已回答 {answered} 题。"},
    "unanswered": {"en": "Unanswered: {questions}.", "zh": "未回答：{questions}。"},
    "answer_blank": {"en": "{question}: no answer was written.", "zh": "{question}：没有写回答。"},
    "answer_written": {"en": "{question}: answered.", "zh": "{question}：已回答。"},
    "answer_scored": {"en": "Scored by the course staff.", "zh": "由课程教师评分。"},
    "answer_capped": {"en": "({given} points were given; the question is worth fewer.)",
                      "zh": "（给了 {given} 分；本题分值更低。）"},
    "answer_not_scored": {"en": "Not scored yet: written answers are scored by the course staff.",
                          "zh": "尚未评分：书面回答由课程教师评分。"},
    "why_answer": {"en": "Written answers are scored by the course staff: see each one below.",
                   "zh": "书面回答由课程教师评分：见下方每一题。"},
    "answer_comment": {"en": "Comment: {comment}", "zh": "评语：{comment}"},
}

SHORT = {"hand_in_title", "report_title", "could_not_be_graded", "notes_on_submission", "grader_warnings", "scores",
         "executed_notebooks", "passed_tests", "all_passed", "some_failed", "tests_passed_of",
         "score_line", "total", "seed", "rerun_with", "isolation", "execution_time", "grader", "fingerprint",
         "col_function", "col_score", "col_tests_passed", "col_total", "hidden_test",
         "relative_error", "tolerance", "shapes", "first_mismatch", "details", "notes", "warnings",
         "diagnosis", "what_to_look_at"}


def say(key: str, lang: str = "en", **values) -> str:
    """The text of `key` in `lang`; "both" gives English then Chinese."""
    entry = UI[key]
    if lang in ("en", "zh"):
        return entry[lang].format(**values)
    en, zh = entry["en"].format(**values), entry["zh"].format(**values)
    if en == zh:
        return en
    return f"{en} / {zh}" if key in SHORT else f"{en}\n{zh}"
