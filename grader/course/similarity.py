"""Similar code across a batch, for the instructor to look at: it never changes a score.

copydetect (winnowed fingerprints of tokenised code: names, comments and strings do not count)
compares every pair of submissions' code (layers.py, fc_net.py, optim.py together). Every k-gram
of the handout's own files is boilerplate and never counts, so two untouched handouts share
nothing. A pair is listed when the share of either side's code found in the other reaches the
rubric's `similarity_threshold` and at least MIN_SHARED characters of tokenised code are shared.
copydetect is imported only when there is a pair to compare: it imports matplotlib's pyplot
(half a second), which a batch of one submission never needs.
"""
from __future__ import annotations

import bisect
import functools
import html
import io
import threading
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from grader.intake.submission import STUDENT_FILES
from grader.results import SubmissionResult

if TYPE_CHECKING:   # imported where used: see above
    from copydetect.detector import CodeFingerprint

HANDOUT = Path(__file__).resolve().parents[2] / "assignment"
K = 25              # k-gram length in tokenised characters (copydetect's noise threshold)
WINDOW = 6          # winnowing window: any match of K + WINDOW - 1 characters is found
MIN_SHARED = 200    # tokenised characters shared, below which a pair is never listed


@dataclass
class SimilarPair:
    a: str
    b: str
    share_a: float            # fraction of a's own code (beyond the handout) found in b
    share_b: float
    shared_chars: int
    spans_a: list[tuple[int, int]] = field(default_factory=list)   # in a's document
    spans_b: list[tuple[int, int]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return max(self.share_a, self.share_b)


def document(code: dict[str, str]) -> str:
    """The student's files as one Python document, in a fixed order."""
    return "".join(f"# ---- {name}\n{code[name]}\n" for name in STUDENT_FILES if name in code)


@functools.lru_cache(maxsize=4)
def boilerplate(handout: Path = HANDOUT) -> frozenset:
    """Every k-gram hash of the handout's files, tokenised like the students' code (once per
    process: tokenising costs a tenth of a second per file). The lexer is named, as
    fingerprint() names it: finding it from the file name reads every lexer's patterns
    (a fifth of a second) to find Python's."""
    from copydetect.utils import filter_code, hashed_kgrams
    hashes = set()
    for name in STUDENT_FILES:
        path = handout / name
        if path.is_file():
            filtered, _ = filter_code(path.read_text(), name, "python")
            hashes.update(hashed_kgrams(filtered, K).tolist())
    return frozenset(hashes)


def fingerprint(text: str, boiler: set) -> CodeFingerprint:
    """copydetect's fingerprint of `text`, the handout's k-grams taken out."""
    from copydetect.detector import CodeFingerprint
    from copydetect.utils import get_token_coverage
    fp = CodeFingerprint("submission.py", K, WINDOW, fp=io.StringIO(text), language="python")
    for value in fp.hashes & boiler:
        del fp.hash_idx[value]
    fp.hashes -= boiler
    fp.token_coverage = get_token_coverage(fp.hash_idx, K, len(fp.filtered_code))
    return fp


_prints: dict[tuple[str, Path], CodeFingerprint] = {}   # (document, handout) -> fingerprint
_prints_lock = threading.Lock()


def cached_fingerprint(text: str, handout: Path = HANDOUT) -> CodeFingerprint:
    """fingerprint() of a document, computed once per process (a batch computes them while it
    grades, beside the workers: batch.py). One thread at a time: the batch files waiting for
    a fingerprint the grading's thread is computing wait for it instead of computing it too
    (they would share one core's worth of Python time)."""
    key = (text, Path(handout))
    with _prints_lock:
        if key not in _prints:
            _prints[key] = fingerprint(text, boilerplate(Path(handout)))
        return _prints[key]


def similar_pairs(results: list[SubmissionResult], threshold: float,
                  handout: Path = HANDOUT) -> list[SimilarPair]:
    """Pairs of submissions sharing at least `threshold` of either one's own code, most similar
    first. Submissions without code (ungradable ones) are left out."""
    compared = [r for r in results if r.code and not r.error]
    if len(compared) < 2:
        return []
    from copydetect.detector import compare_files
    prints = {r.name: cached_fingerprint(document(r.code), handout) for r in compared}
    pairs = []
    for a, b in combinations(sorted(prints), 2):
        fa, fb = prints[a], prints[b]
        if not fa.hashes or not fb.hashes or not (fa.hashes & fb.hashes):
            continue
        shared, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
        if shared < MIN_SHARED or max(share_a, share_b) < threshold:
            continue
        pairs.append(SimilarPair(a, b, float(min(share_a, 1.0)), float(min(share_b, 1.0)),
                                 int(shared), _spans(slices_a), _spans(slices_b)))
    return sorted(pairs, key=lambda p: (-p.share, p.a, p.b))


def _spans(slices) -> list[tuple[int, int]]:
    slices = np.asarray(slices)
    if slices.size == 0:
        return []
    return [(int(s), int(e)) for s, e in zip(slices[0], slices[1])]


# ---- REPORTS/similarity.html --------------------------------------------------------------

def handout_lines(handout: Path = HANDOUT) -> set[str]:
    """The handout's lines, stripped: shown, never marked as shared (a student did not write them)."""
    lines = set()
    for name in STUDENT_FILES:
        if (handout / name).is_file():
            lines.update(line.strip() for line in (handout / name).read_text().splitlines())
    return lines - {""}


def marked_lines(text: str, spans: list[tuple[int, int]], context: int = 1,
                 limit: int = 400, given: set[str] = frozenset()) -> str:
    """HTML of the lines of `text` that hold shared code (in <mark>), with `context` lines
    around them and a gap marker between distant runs; at most `limit` lines. Lines in `given`
    (the handout's) are never marked."""
    inside = np.zeros(len(text) + 1, dtype=bool)
    for start, end in spans:
        inside[max(0, start):max(0, min(end, len(text)))] = True
    lines = text.split("\n")
    # Marked characters per line from one cumulative sum, runs from one list of the places
    # where marking starts or stops (not numpy calls per line: a page of a few pairs reads
    # tens of thousands of lines); only the lines shown are rendered.
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    counts = np.concatenate(([0], np.cumsum(inside)))
    has_marks = counts[starts + lengths] > counts[starts]
    marked = {number for number in np.flatnonzero(has_marks).tolist()
              if lines[number].strip() not in given
              and not lines[number].lstrip().startswith("# ---- ")}
    keep = {n for number in marked for n in range(number - context, number + context + 1)}
    changes = (np.flatnonzero(inside[1:] != inside[:-1]) + 1).tolist()
    starts = starts.tolist()
    shown, previous = [], None
    for number in sorted(n for n in keep if 0 <= n < len(lines)):
        if previous is not None and number > previous + 1:
            shown.append('<span class="gap">⋯</span>')
        line, start = lines[number], starts[number]
        if number in marked:
            line = _marked_html(line, start, changes, bool(inside[start]))
        else:
            line = html.escape(line)
        shown.append(f'<span class="ln">{number + 1:4d}</span> {line}')
        previous = number
        if len(shown) >= limit:
            shown.append('<span class="gap">⋯ (cut)</span>')
            break
    return "\n".join(shown)


def _marked_html(line: str, start: int, changes: list[int], first_marked: bool) -> str:
    """A line starting at `start` in its document, its runs of marked characters in <mark>.
    `changes`: the document's places where marking starts or stops, in order (the runs
    alternate, the first one marked when `first_marked`)."""
    end = start + len(line)
    inner = changes[bisect.bisect_right(changes, start):bisect.bisect_left(changes, end)]
    bounds = [0, *(c - start for c in inner), len(line)]
    parts = []
    for k, (i, j) in enumerate(zip(bounds, bounds[1:])):
        piece = html.escape(line[i:j])
        parts.append(f"<mark>{piece}</mark>" if (k % 2 == 0) == first_marked else piece)
    return "".join(parts)
