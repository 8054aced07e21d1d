"""The workspace's forms: the reply box, the ticket's controls and an agent's canned response.

They parse and validate shapes only; what may be done is the services' and the policy's.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.widgets import MemoSelect
from sla.priorities import Priority
from tickets.forms import MultipleFileField
from tickets.models import Category, Status
from tickets.services.canned import BODY_MAX, TITLE_MAX

MODES = [("reply", _("Public reply")), ("note", _("Internal note"))]


class WorkspaceReplyForm(forms.Form):
    mode = forms.ChoiceField(choices=MODES, initial="reply", widget=forms.RadioSelect)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=settings.MESSAGE_MAX_CHARS,
        required=False,
        label=_("Message"),
    )
    files = MultipleFileField(label=_("Attachments"))
    status = forms.ChoiceField(
        widget=MemoSelect,
        choices=[("", _("Default")), *Status.choices],
        required=False,
        label=_("and set status"),
    )
    priority = forms.ChoiceField(
        widget=MemoSelect,
        choices=[("", _("Keep priority")), *Priority.choices],
        required=False,
        label=_("Priority"),
    )
    canned = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs.update(
            {"placeholder": _("Type / or Ctrl+Space for a canned response")}
        )


class ControlsForm(forms.Form):
    # The selects' HTML is kept per process (core.widgets); the category's choices are a query.
    status = forms.ChoiceField(widget=MemoSelect, choices=Status.choices, label=_("Status"))
    priority = forms.ChoiceField(widget=MemoSelect, choices=Priority.choices, label=_("Priority"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label=_("No category"),
        label=_("Category"),
    )  # fmt: skip
    assignee = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Assignee"))
    tier = forms.TypedChoiceField(
        widget=MemoSelect, choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, label=_("Tier")
    )

    field_order = ["status", "assignee", "priority", "category", "tier"]

    def __init__(self, *args, agents=(), current_assignee: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant scope the door entered.
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        choices = [("", _("Nobody"))]
        choices += [(a.email, f"{a.email} · {_('tier')} {a.tier}") for a in agents]
        if current_assignee and current_assignee not in {a.email for a in agents}:
            choices.append((current_assignee, current_assignee))  # keep showing who owns it
        self.fields["assignee"].choices = choices


class CannedForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label=_("Title"))
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), max_length=BODY_MAX, label=_("Text")
    )
    status = forms.ChoiceField(
        choices=[("", _("Leave as is")), *Status.choices], required=False,
        label=_("Set status when sent"),
    )  # fmt: skip
    priority = forms.ChoiceField(
        choices=[("", _("Leave as is")), *Priority.choices], required=False,
        label=_("Set priority when sent"),
    )  # fmt: skip
