"""Rendered pages must be well-formed HTML: parsed strictly (html5lib stops at the first
parse error: an attribute glued to the previous one, a stray quote, a bad end tag), and no
attribute value may hold a double quote — the mark of attributes escaped twice
(`min=&#34;0&#34;` parses, as an unquoted value `"0"`)."""

from __future__ import annotations

import html5lib
from html5lib.html5parser import ParseError


class MalformedHtml(AssertionError):
    pass


def check_strict_html(text: str) -> None:
    """Raise `MalformedHtml` naming the line and column of the first parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        document = parser.parse(text)
    except ParseError as exc:
        (position, code, data), *_ = parser.errors
        line, column = position
        snippet = text.splitlines()[line - 1][max(column - 60, 0) : column + 20]
        raise MalformedHtml(f"{code} {data or ''} at {line}:{column}: …{snippet}…") from exc
    for element in document.iter():
        for name, value in element.attrib.items():
            if '"' in value:
                raise MalformedHtml(f"<{element.tag} {name}={value!r}>: an attribute escaped twice")
