"""The mistake catalogue, read with tomllib and checked when it is loaded.

knowledge.toml and mistakes.toml (merged; every text in English and Chinese) hold:

- [knowledge.<id>]: a knowledge point (title, text, guiding question, notebook and section);
- [functions.<graded function>]: the knowledge point and guiding question used when no
  catalogued mistake matches a failure of that function;
- [[mistake]]: one known mistake: which function(s) it concerns, how it is recognized
  (a variant, a signature or an exception pattern, by name), its knowledge point, the
  notebook section that teaches it, the one-sentence diagnosis, the explanation and a
  guiding question;
- [phrases.en], [phrases.zh]: the sentences the renderer builds reports from;
- [ui.en], [ui.zh]: the headings of a report ("Diagnosis", "Passed tests", ...).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from grader.feedback.registry import table_for

CATALOGUE_FILES = (Path(__file__).with_name("knowledge.toml"), Path(__file__).with_name("mistakes.toml"))
LANGUAGES = ("en", "zh")
# The hidden tests' list (grader.hidden_tests.catalogue), not imported from there so that the
# hidden tests can import this package; a test keeps the two equal.
GRADED_FUNCTIONS = (
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "layernorm_forward", "layernorm_backward", "dropout_forward", "dropout_backward",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward",
    "FullyConnectedNet", "sgd_momentum", "rmsprop", "adam",
)
RECOGNIZERS = ("variant", "signature", "exception")


class CatalogueError(ValueError):
    """mistakes.toml is incomplete or inconsistent."""


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)


@dataclass(frozen=True)
class KnowledgePoint:
    id: str
    title: Text
    text: Text
    question: Text
    notebook: str
    section: str


@dataclass(frozen=True)
class FunctionPoint:
    """What a report teaches for a function when no catalogued mistake matched."""
    function: str
    knowledge: str
    question: Text
    notebook: str
    section: str


@dataclass(frozen=True)
class Mistake:
    id: str
    function: str
    also: tuple[str, ...]
    recognized_by: str          # variant | signature | exception
    check: str                  # the recognizer's name in grader.feedback.registry
    exception: str | None       # an extra exception pattern, for mistakes that may also crash
    knowledge: str
    notebook: str
    section: str
    diagnosis: Text
    explanation: Text
    question: Text

    @property
    def functions(self) -> tuple[str, ...]:
        return (self.function,) + self.also


@dataclass(frozen=True)
class Catalogue:
    mistakes: tuple[Mistake, ...]
    knowledge: dict
    functions: dict
    phrases: dict
    ui: dict

    def for_function(self, function: str) -> list[Mistake]:
        return [m for m in self.mistakes if function in m.functions]

    def mistake(self, mistake_id: str) -> Mistake:
        for m in self.mistakes:
            if m.id == mistake_id:
                return m
        raise KeyError(mistake_id)

    def student_texts(self):
        """(where, lang, text) for every sentence a student may read."""
        for m in self.mistakes:
            for field in ("diagnosis", "explanation", "question"):
                for lang in LANGUAGES:
                    yield "mistake %s %s" % (m.id, field), lang, getattr(m, field)[lang]
        for k in self.knowledge.values():
            for field in ("title", "text", "question"):
                for lang in LANGUAGES:
                    yield "knowledge %s %s" % (k.id, field), lang, getattr(k, field)[lang]
        for f in self.functions.values():
            for lang in LANGUAGES:
                yield "function %s question" % f.function, lang, f.question[lang]
        for lang, phrases in self.phrases.items():
            for name, text in phrases.items():
                yield "phrase %s" % name, lang, text
        for lang, strings in self.ui.items():
            for name, text in strings.items():
                yield "ui %s" % name, lang, text


def _text(table: dict, field: str, where: str) -> Text:
    value = table.get(field)
    if not isinstance(value, dict):
        raise CatalogueError("%s: %s needs %s.en and %s.zh" % (where, field, field, field))
    for lang in LANGUAGES:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise CatalogueError("%s: %s.%s is missing or empty" % (where, field, lang))
    return Text(value["en"].strip(), value["zh"].strip())


def _string(table: dict, field: str, where: str) -> str:
    value = table.get(field)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError("%s: %s is missing" % (where, field))
    return value


def parse(data: dict) -> Catalogue:
    knowledge = {}
    for kid, table in (data.get("knowledge") or {}).items():
        where = "knowledge.%s" % kid
        knowledge[kid] = KnowledgePoint(
            kid, _text(table, "title", where), _text(table, "text", where), _text(table, "question", where),
            _string(table, "notebook", where), _string(table, "section", where))
    functions = {}
    for name, table in (data.get("functions") or {}).items():
        where = "functions.%s" % name
        kid = _string(table, "knowledge", where)
        if kid not in knowledge:
            raise CatalogueError("%s: unknown knowledge point %r" % (where, kid))
        functions[name] = FunctionPoint(name, kid, _text(table, "question", where),
                                        table.get("notebook", knowledge[kid].notebook),
                                        table.get("section", knowledge[kid].section))
    missing = sorted(set(GRADED_FUNCTIONS) - set(functions))
    if missing:
        raise CatalogueError("no [functions.*] table for %s" % ", ".join(missing))
    mistakes, seen = [], set()
    for index, table in enumerate(data.get("mistake") or []):
        mistakes.append(_mistake(table, "mistake #%d" % (index + 1), knowledge, seen))
    return Catalogue(tuple(mistakes), knowledge, functions, _by_language(data, "phrases"),
                     _by_language(data, "ui"))


def _by_language(data: dict, table: str) -> dict:
    """[table.en] and [table.zh]: the same keys, every value a non-empty string."""
    found = data.get(table) or {}
    if sorted(found) != sorted(LANGUAGES) or set(found["en"]) != set(found["zh"]):
        raise CatalogueError("[%s.en] and [%s.zh] must have the same keys" % (table, table))
    for lang in LANGUAGES:
        for key, value in found[lang].items():
            # a separator may be blank: Chinese sentences follow each other without a space
            if not isinstance(value, str) or not (value.strip() or key.endswith("_separator")):
                raise CatalogueError("%s.%s.%s is missing or empty" % (table, lang, key))
    return found


def _mistake(table: dict, where: str, knowledge: dict, seen: set) -> Mistake:
    mid = _string(table, "id", where)
    where = "mistake %s" % mid
    if mid in seen:
        raise CatalogueError("%s: duplicate id" % where)
    seen.add(mid)
    function, also = _string(table, "function", where), tuple(table.get("also", ()))
    for name in (function,) + also:
        if name not in GRADED_FUNCTIONS:
            raise CatalogueError("%s: unknown function %r" % (where, name))
    kind, check = _string(table, "recognized_by", where), _string(table, "check", where)
    if kind not in RECOGNIZERS:
        raise CatalogueError("%s: recognized_by must be one of %s" % (where, ", ".join(RECOGNIZERS)))
    if check not in table_for(kind):
        raise CatalogueError("%s: no %s named %r" % (where, kind, check))
    extra = table.get("exception")
    if extra is not None and extra not in table_for("exception"):
        raise CatalogueError("%s: no exception pattern named %r" % (where, extra))
    kid = _string(table, "knowledge", where)
    if kid not in knowledge:
        raise CatalogueError("%s: unknown knowledge point %r" % (where, kid))
    return Mistake(mid, function, also, kind, check, extra, kid, _string(table, "notebook", where),
                   _string(table, "section", where), _text(table, "diagnosis", where),
                   _text(table, "explanation", where), _text(table, "question", where))


def read(*paths: Path) -> Catalogue:
    # The recognizers register themselves on import; the catalogue names them.
    import grader.feedback.exceptions  # noqa: F401
    import grader.feedback.signatures  # noqa: F401
    import grader.feedback.variants  # noqa: F401
    data = {}
    for path in paths:
        with open(path, "rb") as handle:
            for key, value in tomllib.load(handle).items():
                if key in data:
                    raise CatalogueError("%s: [%s] is also defined in another file" % (path.name, key))
                data[key] = value
    return parse(data)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    return read(*CATALOGUE_FILES)
