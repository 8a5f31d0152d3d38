"""Executed notebooks as HTML beside the .ipynb in each report (nbconvert), for reading in a
browser. Student HTML in Markdown cells and outputs is sanitised (no scripts), and a notebook
is converted again only when its .ipynb is newer than its .html. The page is JupyterLab's
(nbconvert's "lab" template) through templates/grader_html, which leaves out one sanitising
pass that cannot change anything (see its index.html.j2).

nbconvert's HTML exporter ends by parsing and re-serialising the whole page with BeautifulSoup
to add three accessibility attributes (an image's missing alt text, tabindex on each cell's
input and output): half of the conversion's time for a notebook of plots. The exporter here
adds the same attributes to the same tags of the page as the template writes it, and skips
that pass: the page parses to the same document as nbconvert's own (a test compares them)."""
from __future__ import annotations

import re
from pathlib import Path

from grader.report.files import atomic_write_text

TEMPLATES = Path(__file__).resolve().parent / "templates"   # grader_html: see its index.html.j2
_exporter = None


def _html_exporter():
    global _exporter
    if _exporter is None:   # building the exporter loads its templates: once per process
        _exporter = _exporter_class()(sanitize_html=True, template_name="grader_html",
                                      extra_template_basedirs=[str(TEMPLATES)])
    return _exporter


def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class GraderHTMLExporter(HTMLExporter):
        """HTMLExporter.from_notebook_node (nbconvert 7.17) with accessible_page() in place of
        its BeautifulSoup pass."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return accessible_page(html), resources

    return GraderHTMLExporter


MISSING_ALT = ' alt="No description has been provided for this image"'   # nbconvert's words
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_DIV_TAG = re.compile(r"<div\b[^>]*>")
_CLASSES = re.compile(r'\sclass="([^"]*)"')
_FOCUSABLE = {"jp-Cell-inputWrapper", "jp-OutputArea-output"}


def accessible_page(html: str) -> str:
    """What nbconvert's BeautifulSoup pass adds, on the page as written: alt text on each image
    without one, and tabindex="0" on each cell's input wrapper and output in the body (the
    notebook). The template's own tags are all it writes; what students wrote was sanitised
    before, so each tag here is a tag of the page."""
    head, body_tag, body = html.partition("<body")
    return _IMG_TAG.sub(_with_alt, head) + body_tag + _DIV_TAG.sub(
        _focusable, _IMG_TAG.sub(_with_alt, body))


def _with_alt(match: re.Match) -> str:
    tag = match.group(0)
    if re.search(r"\salt=", tag):
        return tag
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return tag[:end].rstrip() + MISSING_ALT + tag[end:]


def _focusable(match: re.Match) -> str:
    tag = match.group(0)
    classes = _CLASSES.search(tag)
    if not classes or not _FOCUSABLE & set(classes.group(1).split()) or \
            re.search(r"\stabindex=", tag):
        return tag
    return tag[:-1].rstrip() + ' tabindex="0">'


def render_notebook(notebook: Path) -> Path | None:
    """notebook.html beside `notebook`; None when it cannot be converted (the .ipynb stays)."""
    target = html_path(notebook)
    try:
        if target.is_file() and target.stat().st_mtime_ns >= notebook.stat().st_mtime_ns:
            return target
    except OSError:
        return None
    body = notebook_html(notebook)
    return None if body is None else save_html(notebook, body)


def save_html(notebook: Path, body: str) -> Path:
    """Write `body` (notebook_html's) beside `notebook`; its path."""
    target = html_path(notebook)
    atomic_write_text(target, body)
    return target


def html_path(notebook: Path) -> Path:
    return Path(notebook).with_suffix(".html")


def notebook_html(notebook: Path) -> str | None:
    """The HTML of `notebook`, or None when nbconvert cannot convert it."""
    import nbformat
    try:
        body, _ = _html_exporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    except Exception:   # a notebook nbconvert cannot read: the report still links the .ipynb
        return None
    return body
