"""Executed notebooks as HTML beside the .ipynb in each report (nbconvert), for reading in a
browser. Student HTML in Markdown cells and outputs is sanitised (no scripts), and a notebook
is converted again only when its .ipynb is newer than its .html. The page is JupyterLab's
(nbconvert's "lab" template) through templates/grader_html, which leaves out one sanitising
pass that cannot change anything (see its index.html.j2)."""
from __future__ import annotations

from pathlib import Path

from grader.report.files import atomic_write_text

TEMPLATES = Path(__file__).resolve().parent / "templates"   # grader_html: see its index.html.j2
_exporter = None


def _html_exporter():
    global _exporter
    if _exporter is None:   # building the exporter loads its templates: once per process
        from nbconvert import HTMLExporter
        _exporter = HTMLExporter(sanitize_html=True, template_name="grader_html",
                                 extra_template_basedirs=[str(TEMPLATES)])
    return _exporter


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
