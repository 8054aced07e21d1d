"""The workspace's forms: the reply box, the ticket's controls and an agent's canned response.

They parse and validate shapes only; what may be done is the services' and the policy's.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.widgets import MemoSelect
from sla.scheme import CANONICAL
from sla.selectors import PriorityScheme
from tickets.forms import MultipleFileField
from tickets.models import SUMMARY_MAX_CHARS, Category, Status
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
    priority = forms.ChoiceField(widget=MemoSelect, choices=(), required=False, label=_("Priority"))
    canned = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=SUMMARY_MAX_CHARS,
        required=False,
        label=_("Closure summary (when this reply closes the ticket)"),
    )

    def __init__(self, *args, scheme: PriorityScheme = CANONICAL, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs.update(
            {"placeholder": _("Type / or Ctrl+Space for a canned response")}
        )
        self.fields["priority"].choices = [("", _("Keep priority")), *scheme.choices(staff=True)]


class ControlsForm(forms.Form):
    status = forms.ChoiceField(widget=MemoSelect, choices=Status.choices, label=_("Status"))
    priority = forms.ChoiceField(widget=MemoSelect, choices=(), label=_("Priority"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label=_("No category"),
        label=_("Category"),
    )  # fmt: skip
    assignee = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Assignee"))
    tier = forms.TypedChoiceField(
        widget=MemoSelect, choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, label=_("Tier")
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=SUMMARY_MAX_CHARS,
        required=False,
        label=_("Closure summary (when closing)"),
        help_text=_("Emailed to the customer with the rating link, shown on the closed ticket."),
    )

    field_order = ["status", "assignee", "priority", "category", "tier", "summary"]

    def __init__(
        self,
        *args,
        agents=(),
        current_assignee: str | None = None,
        scheme: PriorityScheme = CANONICAL,
        current_priority: str | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant scope the door entered.
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["priority"].choices = priority_choices(scheme, current_priority)
        choices = [("", _("Nobody"))]
        choices += [(a.email, f"{a.email} · {_('tier')} {a.tier}") for a in agents]
        if current_assignee and current_assignee not in {a.email for a in agents}:
            choices.append((current_assignee, current_assignee))  # keep showing who owns it
        self.fields["assignee"].choices = choices


def priority_choices(scheme: PriorityScheme, current: str | None) -> list[tuple[str, str]]:
    """The tenant's priorities in use, under its labels, and the current one when the tenant
    no longer uses it (kept on the ticket, shown as such, not offered to anyone else)."""
    choices = scheme.choices(staff=True)
    if current and not scheme.is_in_use(current):
        label = _("%(label)s (no longer used)") % {"label": scheme.label(current)}
        choices.append((current, label))
    return choices


# The texts of a canned response that have a value per language (core.text_forms): the
# agents' page and the tenant admin lay out the same inputs.
CANNED_LANGUAGE_SPEC = {"title": (TITLE_MAX, False), "body": (BODY_MAX, True)}


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
        choices=(), required=False, label=_("Set priority when sent"),
    )  # fmt: skip

    def __init__(
        self, *args, scheme: PriorityScheme = CANONICAL, current_priority: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [
            ("", _("Leave as is")),
            *priority_choices(scheme, current_priority),
        ]


CALL_KINDS = [("new", _("A new ticket for the caller")), ("existing", _("On an existing ticket"))]
CALL_VISIBILITY = [
    ("internal", _("Internal note (agents only)")),
    ("public", _("Public reply: emailed to the customer, counts as our response")),
]


class CallForm(forms.Form):
    """The "Record a call" page (tickets/agent/calls.py): shapes only; the services decide."""

    kind = forms.ChoiceField(
        choices=CALL_KINDS, initial="new", widget=forms.RadioSelect, label=_("Record it as")
    )
    caller_email = forms.EmailField(required=False, label=_("Caller's email"))
    caller_name = forms.CharField(required=False, max_length=150, label=_("Caller's name"))
    subject = forms.CharField(required=False, max_length=200, label=_("Subject"))
    priority = forms.ChoiceField(choices=(), required=False, label=_("Priority"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label=_("No category"),
        label=_("Category"),
    )  # fmt: skip
    ticket = forms.IntegerField(required=False, min_value=1, label=_("Ticket number"))
    visibility = forms.ChoiceField(
        choices=CALL_VISIBILITY,
        initial="internal",
        widget=forms.RadioSelect,
        label=_("The call's note is"),
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=settings.MESSAGE_MAX_CHARS,
        label=_("What was said"),
    )

    def __init__(self, *args, scheme: PriorityScheme = CANONICAL, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant scope the door entered.
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        # The tenant's priorities in use, under its labels (as the workspace's reply form).
        self.fields["priority"].choices = [
            ("", _("The help desk's default")),
            *scheme.choices(staff=True),
        ]

    def clean(self):
        data = super().clean()
        if data.get("kind") == "new":
            if not data.get("caller_email") and "caller_email" not in self.errors:
                self.add_error("caller_email", _("Give the caller's email address."))
            if not data.get("subject"):
                self.add_error("subject", _("Give the ticket a subject."))
        elif (
            data.get("kind") == "existing"
            and not data.get("ticket")
            and "ticket" not in self.errors
        ):
            self.add_error("ticket", _("Give the number of the ticket the call is about."))
        return data
