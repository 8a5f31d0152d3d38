"""similarity.marked_lines finds the marked runs of a line with numpy; it must render exactly
what a character-by-character reading renders (the similarity page of a 200-student batch
spent most of its time there)."""
import html
import random

from grader.course.similarity import marked_lines


def by_characters(text, spans, context=1, limit=400, given=frozenset()):
    """The plain reading: each character marked or not, runs wrapped in <mark>."""
    inside = [False] * (len(text) + 1)
    for start, end in spans:
        for k in range(max(0, start), max(0, min(end, len(text)))):
            inside[k] = True
    lines, offset, keep = [], 0, set()
    for number, line in enumerate(text.split("\n")):
        marked = inside[offset:offset + len(line)]
        if line.strip() in given or line.lstrip().startswith("# ---- "):
            marked = [False] * len(line)
        out, i = "", 0
        while i < len(line):
            j = i
            while j < len(line) and marked[j] == marked[i]:
                j += 1
            out += f"<mark>{html.escape(line[i:j])}</mark>" if marked[i] else html.escape(line[i:j])
            i = j
        if any(marked):
            keep.update(range(number - context, number + context + 1))
        lines.append(out)
        offset += len(line) + 1
    shown, previous = [], None
    for number in sorted(n for n in keep if 0 <= n < len(lines)):
        if previous is not None and number > previous + 1:
            shown.append('<span class="gap">⋯</span>')
        shown.append(f'<span class="ln">{number + 1:4d}</span> {lines[number]}')
        previous = number
        if len(shown) >= limit:
            shown.append('<span class="gap">⋯ (cut)</span>')
            break
    return "\n".join(shown)


def test_marked_lines_renders_what_a_character_by_character_reading_renders():
    rng = random.Random(3)
    alphabet = "ab <>&\"'x=1\n\n    "
    given = {"x = 1", "a<b"}
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
        if rng.random() < 0.3:
            text = "# ---- layers.py\nx = 1\na<b\n" + text
        spans = [(a, a + rng.randrange(0, 30)) for a in
                 (rng.randrange(-5, len(text) + 5) for _ in range(rng.randrange(0, 4)))]
        for limit in (400, 3):
            assert marked_lines(text, spans, limit=limit, given=given) == \
                by_characters(text, spans, limit=limit, given=given), (text, spans)


def test_marked_lines_matches_the_character_reading_on_long_texts_and_other_contexts():
    # Many short lines (the per-line counts come from one cumulative sum), several contexts,
    # and limits that cut the page in the middle of a run.
    rng = random.Random(7)
    words = ["x = 1", "a<b", "", "    y = x & 2", "# ---- fc_net.py", "  z='q'", "w"]
    given = {"x = 1", "a<b"}
    for _ in range(150):
        text = "\n".join(rng.choice(words) for _ in range(rng.randrange(1, 200)))
        spans = [(a, a + rng.randrange(1, 80)) for a in
                 (rng.randrange(-10, len(text) + 10) for _ in range(rng.randrange(0, 12)))]
        for context in (0, 1, 3):
            for limit in (400, 7, 1):
                assert marked_lines(text, spans, context, limit, given) == \
                    by_characters(text, spans, context, limit, given), (text, spans, context)
