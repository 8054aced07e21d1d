"""The widget must stay under 30 KB minified: one script tag on a customer's page.

README's figure is terser's (`npx terser static/chat/widget.js -c -m | wc -c`: 18.8 KB when
this was written). Node is not on every machine that runs the tests, so this measures an upper
bound instead: the source without comments, indentation and blank lines, which terser's
output (also without the long names and spaces) always undercuts.
"""

import re
from pathlib import Path

WIDGET = Path(__file__).resolve().parents[2] / "static" / "chat" / "widget.js"
BUDGET = 30 * 1024


def stripped(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def test_the_widget_stays_under_its_size_budget():
    size = len(stripped(WIDGET.read_text(encoding="utf-8")).encode("utf-8"))
    assert size < BUDGET, f"widget.js is {size} bytes without comments: over {BUDGET}"
