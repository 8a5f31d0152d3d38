"""A diagnosis in words, without code: the diagnosis sentence first, then what the numbers
show, the knowledge point, where the notebook teaches it and a question to ask oneself.

    render(diagnosis, lang) -> str            lang: "en", "zh" or "both"
    sections(diagnosis, lang) -> [(heading, text)]   the same, for a report's own layout

Every word comes from the catalogue ([phrases.*], [ui.*], the mistakes and knowledge points).
"""
from __future__ import annotations

from grader.feedback.catalogue import LANGUAGES, Catalogue, load_catalogue
from grader.feedback.diagnose import Diagnosis
from grader.feedback.evidence import MISSING, NON_FINITE, NOT_NUMBERS, RIGHT, SHAPE, OutputEvidence


def number(value) -> str:
    return "%.3g" % value


def shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def output_name(name: str) -> str:
    """A flattened output path for reading: "grads/W1" -> "grads › W1"."""
    return name.replace("/", " › ")


def evidence_line(item: OutputEvidence, phrases: dict) -> str:
    name = output_name(item.name)
    if item.status == MISSING:
        return phrases["evidence_missing"].format(name=name)
    if item.status == NOT_NUMBERS:
        return phrases["evidence_not_numbers"].format(name=name)
    if item.status == SHAPE:
        return phrases["evidence_shape"].format(name=name, shape=shape_text(item.shape),
                                                expected_shape=shape_text(item.expected_shape))
    where = shape_text(item.worst) if item.worst else "()"
    if item.status == NON_FINITE:
        return phrases["evidence_non_finite"].format(name=name, where=where)
    if item.entries == 1 and not item.shape:        # a number (a loss): no position to give
        return phrases["evidence_wrong_number"].format(name=name, got=number(item.got),
                                                       expected=number(item.expected), error=number(item.rel_error))
    if item.factor is not None:
        key = "evidence_negated" if abs(item.factor + 1) < 1e-6 else "evidence_factor"
        return phrases[key].format(name=name, factor=number(item.factor))
    return phrases["evidence_wrong"].format(
        name=name, wrong=item.wrong_entries, entries=item.entries, error=number(item.rel_error),
        where=where, got=number(item.got), expected=number(item.expected))


def numbers_text(diagnosis: Diagnosis, phrases: dict) -> str:
    """The wrong outputs one by one, then the right ones in one sentence."""
    lines = [evidence_line(item, phrases) for item in diagnosis.evidence if item.status != RIGHT]
    right = [output_name(item.name) for item in diagnosis.evidence if item.status == RIGHT]
    if right and lines:
        lines.append(phrases["evidence_right"].format(names=phrases["list_separator"].join(right)))
    return phrases["sentence_separator"].join(lines)


def diagnosis_sentence(diagnosis: Diagnosis, lang: str, phrases: dict) -> str:
    if diagnosis.mistake:
        return diagnosis.mistake.diagnosis[lang]
    if diagnosis.error:
        key = "error_ambiguous" if diagnosis.candidates else "error_unknown"
        return phrases[key].format(function=diagnosis.function, error_type=diagnosis.error[0])
    return phrases["ambiguous" if diagnosis.candidates else "no_match"].format(function=diagnosis.function)


def sections(diagnosis: Diagnosis, lang: str, catalogue: Catalogue | None = None) -> list[tuple[str, str]]:
    """[(heading, text)] in one language ("en" or "zh")."""
    if lang not in LANGUAGES:
        raise ValueError("lang must be one of %s, not %r" % (", ".join(LANGUAGES), lang))
    catalogue = catalogue or load_catalogue()
    phrases, ui = catalogue.phrases[lang], catalogue.ui[lang]
    point, notebook, section, question = diagnosis.teaching(catalogue)
    teaching = diagnosis.mistake.explanation[lang] if diagnosis.mistake else point.text[lang]
    parts = [(ui["diagnosis"], diagnosis_sentence(diagnosis, lang, phrases))]
    shown = numbers_text(diagnosis, phrases)
    if shown:
        parts.append((ui["numbers"], shown))
    parts += [(ui["knowledge_point"], phrases["knowledge"].format(title=point.title[lang], text=teaching)),
              (ui["notebook"], phrases["section"].format(notebook=notebook, section=section)),
              (ui["question"], question[lang])]
    return parts


def render(diagnosis: Diagnosis, lang: str = "en", catalogue: Catalogue | None = None) -> str:
    """The diagnosis as plain text (Markdown-safe), in "en", "zh" or "both" (English first)."""
    languages = LANGUAGES if lang == "both" else (lang,)
    blocks = []
    for one in languages:
        separator = catalogue_separator(one)
        blocks.append("\n".join(heading + separator + text for heading, text in
                                sections(diagnosis, one, catalogue)))
    return "\n\n".join(blocks)


def catalogue_separator(lang: str) -> str:
    return "：" if lang == "zh" else ": "
