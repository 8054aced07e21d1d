"""HTML mail made plain text: sanitised first (nh3 drops scripts, styles and everything a
browser would run), then converted (html2text). The text is escaped again wherever it is shown."""

import html2text
import nh3

_ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "i", "li", "ol",
    "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip


def to_text(markup: str) -> str:
    clean = nh3.clean(markup, tags=_ALLOWED_TAGS, attributes={"a": {"href"}}, link_rel=None)
    converter = html2text.HTML2Text()
    converter.body_width = 0  # keep the writer's lines
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.protect_links = True
    return converter.handle(clean).strip()
