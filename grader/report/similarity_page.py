"""REPORTS/similarity.html: the pairs of submissions above the similarity threshold, each with
the shared code of both sides next to each other. Information for the instructor only."""
from __future__ import annotations

from pathlib import Path

from grader.course.similarity import SimilarPair, document, handout_lines, marked_lines
from grader.report.files import atomic_write_text
from grader.report.pages import esc, href, page
from grader.results import SubmissionResult

SIMILARITY_HTML = "similarity.html"
MAX_PAIRS_SHOWN = 200


def similarity_html(pairs: list[SimilarPair], results: list[SubmissionResult],
                    threshold: float) -> str:
    codes = {r.name: document(r.code) for r in results}
    compared = sum(1 for r in results if r.code and not r.error)
    intro = (f'<p class="muted">{compared} submissions compared (layers.py, fc_net.py, optim.py; '
             "names, comments and strings do not count; the handout's own code is left out). "
             f"Listed: pairs where at least {threshold:.0%} of one side's code is found in the other. "
             "Similar code is a reason to look, not a verdict: short, standard solutions look alike. "
             "No score is changed.</p>")
    if not pairs:
        return page("Similar code", "no pair above the threshold", intro,
                    [("Dashboard", "index.html")])
    rows = "".join(
        f'<tr><td><a href="#pair-{i}">{esc(p.a)}</a> · <a href="#pair-{i}">{esc(p.b)}</a></td>'
        f'<td class="num">{p.share_a:.0%}</td><td class="num">{p.share_b:.0%}</td>'
        f'<td class="num">{p.shared_chars}</td></tr>'
        for i, p in enumerate(pairs[:MAX_PAIRS_SHOWN], 1))
    table = ('<table><tr><th>pair</th><th class="num">of the first</th>'
             '<th class="num">of the second</th><th class="num">shared tokens</th></tr>'
             f"{rows}</table>")
    given = handout_lines()
    sections = []
    for i, p in enumerate(pairs[:MAX_PAIRS_SHOWN], 1):
        sections.append(
            f'<h2 id="pair-{i}">{esc(p.a)} and {esc(p.b)} '
            f'<span class="muted">· {p.share_a:.0%} / {p.share_b:.0%} shared</span></h2>'
            f'<div class="side"><div><h3><a href="{href(p.a)}/report.html">{esc(p.a)}</a></h3>'
            f"<pre>{marked_lines(codes.get(p.a, ''), p.spans_a, given=given)}</pre></div>"
            f'<div><h3><a href="{href(p.b)}/report.html">{esc(p.b)}</a></h3>'
            f"<pre>{marked_lines(codes.get(p.b, ''), p.spans_b, given=given)}</pre></div></div>")
    return page("Similar code", f"{len(pairs)} pair(s) at or above {threshold:.0%}",
                intro + table + "\n".join(sections), [("Dashboard", "index.html")])


def write_similarity(pairs, results, threshold: float, out: Path) -> Path:
    path = Path(out) / SIMILARITY_HTML
    atomic_write_text(path, similarity_html(pairs, results, threshold))
    return path
