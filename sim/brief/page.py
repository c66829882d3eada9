"""The brief as one self-contained HTML page: inline CSS, figures as ``data:`` URIs, no script, nothing fetched.

Every piece of text is escaped here; callers pass plain text, and HTML only as the pieces these
functions return (:class:`Html`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable

Html = str  # markup made by this module (never plain text from a caller)
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"  # the page may load nothing but its own figures

STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 62rem; margin: 2rem auto; padding: 0 1.5rem;
       color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #bbb; padding-bottom: 0.2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
p.date, p.lede { color: #555; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; vertical-align: top; text-align: right; }
th:first-child, td:first-child, td:has(code) { text-align: left; }
th { background: #f2f2f2; }
td .delta { display: block; color: #444; font-size: 0.82rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #444; }
code, .mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.84rem; word-break: break-all; }
.status-uncalibrated { color: #9a3412; font-weight: bold; }
ul.changes li { margin-bottom: 0.15rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
"""


def text(value: object) -> Html:
    """``value`` as escaped text."""
    return html.escape(str(value), quote=True)


def element(tag: str, content: Html, **attributes: str) -> Html:
    """``<tag attributes>content</tag>``, values escaped; ``class_`` is written ``class``, ``data_x`` ``data-x``."""
    written = "".join(f' {name.rstrip("_").replace("_", "-")}="{text(value)}"' for name, value in attributes.items())
    return f"<{tag}{written}>{content}</{tag}>"


def paragraph(value: str, **attributes: str) -> Html:
    """A paragraph of plain text."""
    return element("p", text(value), **attributes)


def bullets(items: Iterable[Html], **attributes: str) -> Html:
    """A list of markup items."""
    return element("ul", "".join(element("li", item) for item in items), **attributes)


def table(header: list[str], rows: list[list[Html]]) -> Html:
    """A table: a header row of plain text, then rows of markup cells."""
    head = element("tr", "".join(element("th", text(cell)) for cell in header))
    body = "".join(element("tr", "".join(element("td", cell) for cell in row)) for row in rows)
    return element("table", element("thead", head) + element("tbody", body))


def figure(uri: str, alt: str, caption: str, name: str) -> Html:
    """A figure from a ``data:`` URI with its alternative text and caption; ``name`` identifies it (``data-figure``)."""
    image = f'<img src="{text(uri)}" alt="{text(alt)}">'
    return element("figure", image + element("figcaption", text(caption)), data_figure=name)


def section(name: str, title: str, content: Html) -> Html:
    """A section with id ``name`` and heading ``title``."""
    return element("section", element("h2", text(title)) + content, id=name)


def document(title: str, date_line: str, lede: str, sections: list[Html]) -> Html:
    """The whole page. ``date_line`` is the only line that changes between two runs of one command."""
    head = ('<meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
            + element("title", text(title)) + element("style", STYLE))
    body = element("h1", text(title)) + paragraph(lede, class_="lede") + paragraph(date_line, class_="date", id="date")
    return "<!DOCTYPE html>\n" + element("html", element("head", head) + element("body", body + "".join(sections)),
                                         lang="en") + "\n"
