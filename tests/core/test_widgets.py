"""MemoSelect (core/widgets.py) draws exactly what Django's Select draws, for each input that
changes the HTML: value, attributes, choices, required, and the language of the labels."""

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.widgets import MemoSelect

CHOICES = [("", _("Any")), ("open", _("Open")), ("closed", "Closed <b>"), (3, "3")]


def _both(**field):
    class Plain(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES, **field)

    class Memo(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES, widget=MemoSelect, **field)

    return Plain, Memo


def test_a_memo_select_draws_what_djangos_select_draws_for_every_input():
    for field in ({"required": False}, {"required": True}, {"required": False, "label": "X"}):
        plain, memo = _both(**field)
        for data in (None, {"pick": ""}, {"pick": "open"}, {"pick": "3"}, {"pick": "<nope>"}):
            for auto_id in ("id_%s", "ctl_%s"):
                for language in ("en", "de"):
                    with translation.override(language):
                        expected = str(plain(data, auto_id=auto_id)["pick"])
                        for _twice in range(2):  # drawn, then from the memo
                            assert str(memo(data, auto_id=auto_id)["pick"]) == expected


def test_choices_changed_on_the_form_are_drawn_not_an_older_list():
    _plain, memo = _both(required=False)
    first = memo()
    second = memo()
    second.fields["pick"].choices = [*CHOICES, ("new", "New agent")]
    assert "New agent" not in str(first["pick"])
    assert '<option value="new">New agent</option>' in str(second["pick"])


def test_option_groups_are_drawn_by_django():
    grouped = [("Group", [("a", "A"), ("b", "B")]), ("c", "C")]

    class Form(forms.Form):
        pick = forms.ChoiceField(choices=grouped, widget=MemoSelect)

    class Plain(forms.Form):
        pick = forms.ChoiceField(choices=grouped)

    assert str(Form({"pick": "b"})["pick"]) == str(Plain({"pick": "b"})["pick"])
