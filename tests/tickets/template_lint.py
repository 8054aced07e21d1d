"""Find words in a Django template that no {% translate %} covers (issue 14).

The template is lexed the way Django does; translate/blocktranslate blocks, comments and every
{{ variable }} or {% tag %} become a blank, then the HTML that is left is parsed: a text node
or a human attribute (title, aria-label, placeholder, alt, a button's value) with a letter in it
is English nobody translates. <kbd>/<code>/<script>/<style> contents are keys and code, not words.
A `date:"..."` with a literal format (not a format name like "DATETIME_FORMAT") is flagged
too: it prints English month or day names and one country's order.
"""

import re
from html.parser import HTMLParser

from django.template.base import Lexer, TokenType

HUMAN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "label"}
VERBATIM_ELEMENTS = {"kbd", "code", "script", "style"}
# Formats that are values, not text (ISO 8601, the epoch, the zone's abbreviation), and the
# day's name alone, which Django translates.
MACHINE_DATE_FORMATS = {"c", "U", "T", "e", "Y-m-d", "D", "l"}
DATE_LITERAL = re.compile(r"""\|(?:date|time):(["'])(?P<format>[^"']*)\1""")
LETTER = re.compile(r"[^\W\d_]")


def _blank(token):
    """What a non-text token leaves in the HTML: a space per line it spans, so lines stay."""
    return " " + "\n" * token.contents.count("\n")


def _flatten(source):
    """The template's HTML with every template construct blanked, and date literals found."""
    parts, dates = [], []
    closing = None  # the end tag of a block whose text is not checked
    for token in Lexer(source).tokenize():
        if closing:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
            is_text = token.token_type == TokenType.TEXT
            parts.append("\n" * token.contents.count("\n") if is_text else " ")
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
            continue
        for match in DATE_LITERAL.finditer(token.contents):
            fmt = match.group("format")
            if fmt not in MACHINE_DATE_FORMATS and not fmt.endswith("_FORMAT"):
                dates.append((token.lineno, f'date:"{fmt}"'))
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
                closing = "end" + name
        parts.append(_blank(token))
    return "".join(parts), dates


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.verbatim = 0

    def handle_starttag(self, tag, attrs):
        if tag in VERBATIM_ELEMENTS:
            self.verbatim += 1
        values = dict(attrs)
        human = set(HUMAN_ATTRIBUTES)
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            human.add("value")
        for name, value in attrs:
            if name in human and value and LETTER.search(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in VERBATIM_ELEMENTS:
            self.verbatim -= 1

    def handle_endtag(self, tag):
        if tag in VERBATIM_ELEMENTS and self.verbatim:
            self.verbatim -= 1

    def handle_data(self, data):
        if not self.verbatim and LETTER.search(data):
            # getpos() is where the text node starts; its words may begin lines further down.
            line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
            self.found.append((line, " ".join(data.split())))


def untranslated_text(source):
    """[(line, text)] of every word a person would read that no translate tag covers."""
    html, found = _flatten(source)
    finder = _TextFinder()
    finder.feed(html)
    finder.close()
    return sorted(found + finder.found)
