"""A <select> whose HTML each process renders once per distinct input.

Django draws a select through its template engine, one included template per option and per
attribute list: the agents' pages draw a dozen selects of up to a dozen options each on every
request (the queue's filters, the workspace's controls and reply box), about 4 ms of a 40 ms
page. The HTML is a function of the widget's class, name, value, attributes, choices (their
labels as this request's language reads them) and renderer, so it is kept under exactly that key:
same input, same HTML, rendered by Django the first time. Only for plain choice lists: a
queryset's choices would be read twice (ModelChoiceField keeps Django's Select).
"""

import threading

from django import forms
from django.utils.safestring import SafeString

KEPT = 512  # distinct selects per process; past it the memo starts again (it refills in requests)

_memo: dict[tuple, SafeString] = {}
_lock = threading.Lock()


class MemoSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        choices = []
        for option, label in self.choices:
            if isinstance(label, (list, tuple)):  # option groups: drawn as Django draws them
                return super().render(name, value, attrs, renderer)
            choices.append((str(option) if option is not None else None, str(label)))
        merged = self.build_attrs(self.attrs, attrs)
        key = (
            type(self),
            self.template_name,
            self.option_template_name,
            self.is_required,
            name,
            tuple(self.format_value(value)),
            tuple(sorted((str(k), type(v).__name__, str(v)) for k, v in merged.items())),
            tuple(choices),
            renderer,
        )
        html = _memo.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            with _lock:
                if len(_memo) >= KEPT:
                    _memo.clear()
                _memo[key] = html
        return html
