"""Safe text for the reports: free text a student may see, and the Markdown that shows it.

`clean_text` drops control/ANSI characters, elides runs of array values and caps the length;
`shown_output` also withholds every number of a hidden test's output;
`md_inline` / `md_fenced` make Markdown that renders as the literal text. The renderers in
grader/report/ go through these.
"""
from __future__ import annotations

import re
from collections.abc import Collection

from grader.report.prose import output_of
from grader.results import TestResult

HIDDEN = ("hidden", "after_published")   # visibilities whose details are withheld
MAX_OUTPUT_CHARS = 8000
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_ARRAY_RUN = re.compile(   # a run of what an array repr is made of: numbers, brackets, separators
    r"(?:[\[\]\s,+\-]|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+|\.\.\.|nan|inf)+", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|nan|inf", re.IGNORECASE)
ARRAY_ELIDED = "[array elided]"
# A number standing alone (not part of a name such as beta1): in a hidden test's output it may be
# an input's shape, a hyperparameter or a reference value, so it is withheld there.
_LONE_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?(?![\w.])|\b(?:nan|inf)\b", re.IGNORECASE)
NUMBER_WITHHELD = "…"


# Two numbers side by side take at least 2 characters more than one ("1nan1nan1"), so fewer
# than 5 numbers fit in a shorter run.
_SHORTEST_ELIDED = 9


def _elide(match: re.Match) -> str:
    """Bracketed numbers in a run of array characters -> ARRAY_ELIDED when there are 5 or more
    (an array cut short on either side counts: the span then reaches the run's end), and any
    run of 10 or more numbers, bracketed or not (a flattened array printed as plain numbers)."""
    run = match.group()
    if len(run) < _SHORTEST_ELIDED:   # most runs: the spaces between words
        return run
    brackets = [i for i, c in enumerate(run) if c in "[]"]
    if not brackets:
        if len(_NUMBER.findall(run)) < 10:
            return run
        core = run.strip()
        return run[: run.index(core)] + ARRAY_ELIDED + run[run.index(core) + len(core):]
    start = 0 if run[brackets[0]] == "]" else brackets[0]
    end = len(run) if run[brackets[-1]] == "[" else brackets[-1] + 1
    if len(_NUMBER.findall(run, start, end)) < 5:
        return run
    return run[:start] + ARRAY_ELIDED + run[end:]


def clean_text(text, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Free text fit to show: no control/ANSI characters, array values elided, capped length."""
    text = _CONTROL.sub("", str(text or "")[: 4 * limit])
    text = _ARRAY_RUN.sub(_elide, text)
    if len(text) > limit:
        text = text[:limit] + f"\n... ({len(text) - limit} more characters cut)"
    return text


# What could turn plain text into markup: a '<' that may open a tag or an autolink, an '&' that
# may spell an entity. Everything else ('a > b', 'x < 0', 'R&D') is left as the reader typed it.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_BLOCK_START = re.compile(r"(>|#|[-+](?=\s|$)|\d+[.)](?=\s|$))")


def md_inline(text, limit: int = 300) -> str:
    """One line of Markdown that renders as the literal text (no HTML, links or code spans),
    escaping only what would otherwise be read as markup."""
    text = " ".join(clean_text(text, limit).split())
    text = _TAG_START.sub("&lt;", _ENTITY.sub("&amp;", text.replace("\\", "\\\\")))
    text = re.sub(r"([`*\[\]|])", r"\\\1", text)
    if block := _BLOCK_START.match(text):   # would start a quote, heading or list item
        cut = block.end(1) - 1
        return text[:cut] + "\\" + text[cut:]
    return text


def md_fenced(text) -> str:
    """A fenced code block holding `text` verbatim (the fence is longer than any backtick run)."""
    text = clean_text(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def shown_output(t: TestResult, hide: Collection[str] = HIDDEN, lang: str = "en") -> str:
    """The test's output fit to show. For a test whose visibility is in `hide`, every number
    becomes NUMBER_WITHHELD: the text says what was checked and how it went
    ("next_w (step …): shape (…, …), relative error … above tolerance …"), never with what.
    This keeps the grader from disclosing hidden values; it cannot stop a student's own code
    from spelling them out in an error message (only Gradescope's "hidden" shows nothing)."""
    text = clean_text(output_of(t, lang))
    if t.visibility not in hide:
        return text
    return _LONE_NUMBER.sub(NUMBER_WITHHELD, text)
