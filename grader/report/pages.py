"""The shell of the batch-wide HTML pages (index.html, answers.html, similarity.html): one
stylesheet, no scripts and nothing loaded from elsewhere, so a page opens from a zip or a
course share as it is. Every piece of text from a submission goes through `esc`.
"""
from __future__ import annotations

import html
from datetime import datetime, timezone
from urllib.parse import quote

from grader.report.details import grader_version
from grader.report.text import clean_text

CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--accent:#0969da;
--good:#1a7f37;--good-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;
color:var(--ink);background:#fff}
header{padding:20px 32px 16px;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:var(--muted)}
nav{margin-top:10px}nav a{margin-right:14px}
main{padding:20px 32px 40px;max-width:1400px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
h2{font-size:16px;margin:28px 0 10px;font-weight:600}
h3{font-size:14px;margin:18px 0 6px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:4px 0 8px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px;background:#fff}
.card b{display:block;font-size:22px;font-weight:600}
.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:minmax(320px,1fr) minmax(380px,1.3fr);gap:24px}
.panel{border:1px solid var(--line);border-radius:8px;padding:12px 16px;background:#fff}
.panel h2{margin-top:0}
table{border-collapse:collapse;width:100%}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em;
background:var(--soft)}
tr:hover td{background:#fbfcfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:inline-block;vertical-align:middle;width:90px;height:8px;border-radius:4px;
background:#eaeef2;overflow:hidden;margin-left:8px}
.bar i{display:block;height:100%;background:var(--good)}
.bar i.mid{background:#bf8700}.bar i.low{background:var(--bad)}
.rate{display:grid;grid-template-columns:210px 1fr 58px;gap:8px;align-items:center;margin:3px 0;
font-size:13px}
.rate .track{height:10px;border-radius:5px;background:#eaeef2;overflow:hidden}
.rate .track i{display:block;height:100%;background:var(--good)}
.rate .track i.mid{background:#bf8700}.rate .track i.low{background:var(--bad)}
.rate code{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;margin:1px 4px 1px 0;
white-space:nowrap;border:1px solid transparent}
.ok{color:var(--good);background:var(--good-bg)}.bad{color:var(--bad);background:var(--bad-bg)}
.warn{color:var(--warn);background:var(--warn-bg)}.muted{color:var(--muted)}
.plain{color:var(--muted);border-color:var(--line)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;
white-space:pre-wrap;overflow-x:auto;margin:4px 0}
mark{background:#fff1a8;color:inherit}
.side{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.ln{color:#8c959f;user-select:none}.gap{color:#8c959f}
.answer{border-left:3px solid var(--line);padding:2px 12px;margin:8px 0}
.answer.blank{border-left-color:var(--bad)}
.prompt{color:var(--muted);white-space:pre-wrap}
svg text{font:11px system-ui,sans-serif;fill:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:30px}
"""


def esc(text, limit: int = 300) -> str:
    """Text from a submission, safe inside HTML: control characters gone, capped, escaped."""
    return html.escape(" ".join(clean_text(text, limit).split()))


def href(path: str) -> str:
    return html.escape(quote(path, safe="/#"))


def level(percent: float) -> str:
    """The colour class of a score or pass rate."""
    return "" if percent >= 80 else "mid" if percent >= 50 else "low"


def page(title: str, subtitle: str, body: str, links: list[tuple[str, str]] = ()) -> str:
    nav = "".join(f'<a href="{href(url)}">{html.escape(label)}</a>' for label, url in links)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{html.escape(title)}</h1><p>{subtitle}</p>"
            f"{f'<nav>{nav}</nav>' if nav else ''}</header>\n<main>\n{body}\n"
            f"<footer>Written {stamp} by the grader ({html.escape(grader_version())}). "
            "Rebuilt from every report in this folder on each run.</footer>\n</main>\n</body>\n</html>\n")
