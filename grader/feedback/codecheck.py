"""Does a student-visible text hand over code? `contains_code(text) -> bool`.

Mathematical notation is allowed, in Unicode: x̂ = (x − μ)/√(σ² + ε), Σ over the batch, N−1,
1/p, γ·x̂ + β. Code is not: assignments to program names, NumPy or method calls, keyword
arguments (axis, keepdims, ddof), indexing and slicing, Python operators and keywords. The
patterns look at ASCII identifiers only, so Chinese text and Greek letters never trigger them.
"""
from __future__ import annotations

import re

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
LONG_NAME = r"[A-Za-z_][A-Za-z0-9_]+"      # two characters or more: a program's name, not a symbol
CALLS = ("sum", "mean", "var", "std", "sqrt", "exp", "log", "max", "min", "maximum", "minimum",
         "reshape", "transpose", "moveaxis", "swapaxes", "rollaxis", "zeros", "ones", "zeros_like",
         "ones_like", "rand", "randn", "random", "dot", "matmul", "einsum", "where", "astype",
         "copy", "arange", "abs", "clip", "range", "len", "float", "int", "prod", "split")

PATTERNS = {
    # out = ..., running_mean = ..., dx[...] = ..., config.t = ..., cache += ...
    "assignment": re.compile(
        r"(?<![=!<>\w])(%s\s*=(?!=)|%s\s*(\[[^\]\n]*\]|\.%s)\s*=(?!=)|%s\s*(\*\*|[-+*/@%%])=)"
        % (LONG_NAME, NAME, NAME, NAME)),
    "numpy": re.compile(r"\b(np|numpy)\.\w"),
    "method call": re.compile(r"\b%s\.%s\s*\(|(?:^|[\s(`])\.%s\s*\(" % (NAME, NAME, NAME)),
    "array call": re.compile(r"(?<![\w.])(%s)\s*\(\s*[A-Za-z0-9_(\-\[]" % "|".join(CALLS)),
    "keyword argument": re.compile(
        r"\b(axis|axes|keepdims|ddof|dtype|size|out|where|initial|copy)\s*=|\(\s*[^()\n]*\b%s=[^=\s]"
        % NAME),
    "indexing": re.compile(r"\b%s\[|\[\s*:|\[[^\]\n]*:[^\]\n]*\]|::" % NAME),
    "transpose attribute": re.compile(r"\b%s\.T\b" % NAME),
    "power": re.compile(r"\*\*"),
    "product of names": re.compile(r"\b%s\s*[*@]\s*[A-Za-z_(0-9]|[A-Za-z0-9_)]\s*[*@]\s*%s\b"
                                   % (NAME, NAME)),
    "division of names": re.compile(r"\b%s\s+/\s+[A-Za-z_(0-9]|[A-Za-z0-9_)]\s+/\s+%s\b"
                                    % (LONG_NAME, LONG_NAME)),
    # with spaces around the operator, so hyphenated words (test-mode, in-place) are prose
    "sum or difference of names": re.compile(
        r"\b%s\s+[-+]\s+%s\b|\b%s\s+[-+]\s+%s\b|\b[A-Za-z0-9]*_\w*\s*[-+]\s*[\w(]"
        % (LONG_NAME, NAME, NAME, LONG_NAME)),
    "comparison": re.compile(r"==|!=|\(\s*%s\s*[<>]=?\s*[\w.\-]+\s*\)" % NAME),
    "keyword": re.compile(r"\blambda\b|\bdef\s+%s\s*\(|^\s*return\b|\bimport\s+%s|\bin\s+range\s*\("
                          % (NAME, NAME), re.MULTILINE),
    "code span": re.compile(r"`[^`\n]*[-+*/=(\[][^`\n]*`"),
}


def code_fragments(text: str) -> list[tuple[str, str]]:
    """(pattern name, the matched text) for every piece of code found in `text`."""
    return [(name, match.group(0)) for name, pattern in PATTERNS.items()
            for match in pattern.finditer(text or "")]


def contains_code(text: str) -> bool:
    return bool(code_fragments(text))
