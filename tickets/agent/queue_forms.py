"""The dashboard's forms: the filters (a GET form: the URL is the view) and the bulk action."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.widgets import MemoSelect
from tickets import queue
from tickets.models import SUMMARY_MAX_CHARS, Channel, Status

ANY = [("", _("Any"))]
MAX_BULK = 100


class FilterForm(forms.Form):
    # The selects' HTML is kept per process (core.widgets): the same on every page load.
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    status = forms.ChoiceField(
        widget=MemoSelect,
        required=False,
        label=_("Status"),
        choices=[("", _("Open")), *Status.choices, ("any", _("Any, closed too"))],
    )
    priority = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Priority"))
    category = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Category"))
    assignee = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Assignee"))
    tier = forms.TypedChoiceField(
        widget=MemoSelect,
        required=False,
        label=_("Tier"),
        coerce=int,
        empty_value=None,
        choices=[*ANY, ("1", "1"), ("2", "2"), ("3", "3")],
    )
    plan = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Plan"))
    channel = forms.ChoiceField(widget=MemoSelect, required=False, label=_("Channel"))
    breached = forms.BooleanField(required=False, label=_("Breached"))
    at_risk = forms.BooleanField(required=False, label=_("At risk"))
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, *args, categories=(), agents=(), plans=(), priorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        # The tenant's priorities in use, under its labels (`priorities`: (value, label)).
        self.fields["priority"].choices = [*ANY, *priorities]
        self.fields["category"].choices = [*ANY, *categories]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(email, email) for email in agents],
        ]
        self.fields["plan"].choices = [*ANY, *[(name, name) for name in plans]]
        self.fields["channel"].choices = [*ANY, *Channel.choices]

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"]
        return "" if value == "anyone" else value

    def filters(self) -> queue.Filters:
        data = dict(self.cleaned_data)
        data.pop("page", None)
        return queue.Filters(**data)

    def page_number(self) -> int:
        return self.cleaned_data.get("page") or 1


class BulkForm(forms.Form):
    ACTIONS = [
        ("assign_me", _("Assign to me")),
        ("assign", _("Assign to…")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
    ]
    tickets = forms.TypedMultipleChoiceField(coerce=int, label=_("Tickets"))
    action = forms.ChoiceField(choices=ACTIONS, label=_("Action"))
    value = forms.CharField(required=False, max_length=254, label=_("Value"))
    # One resolution summary for every ticked ticket a "Set status: closed" closes (required
    # when the help desk asks for closure summaries: the services refuse each close without).
    summary = forms.CharField(
        required=False, max_length=SUMMARY_MAX_CHARS, label=_("Closure summary")
    )

    def __init__(self, *args, agents=(), priorities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = list(agents)
        self.priorities = list(priorities)  # the tenant's priorities in use (values)
        self.fields["tickets"].error_messages["required"] = _(
            "Tick at least one ticket (the box at the start of its row)."
        )

    def clean_tickets(self) -> list[int]:
        numbers = list(dict.fromkeys(self.cleaned_data["tickets"]))
        if len(numbers) > MAX_BULK:
            raise forms.ValidationError(
                ngettext(
                    "At most %(n)d ticket at once.", "At most %(n)d tickets at once.", MAX_BULK
                )
                % {"n": MAX_BULK},
                code="too_many",
            )
        return numbers

    def full_clean(self):
        # The ticked numbers are checked against the queue by the view, one by one.
        raw = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        self.fields["tickets"].choices = [
            (n, n) for n in raw if str(n).isascii() and str(n).isdigit()
        ]
        super().full_clean()

    def clean(self):
        data = super().clean()
        action, value = data.get("action"), data.get("value", "")
        if action == "status" and value not in Status.values:
            self.add_error("value", _("Choose the status to set."))
        elif action == "priority" and value not in self.priorities:
            self.add_error("value", _("Choose the priority to set."))
        elif action == "assign" and value and value not in self.agents:
            self.add_error("value", _("Choose an agent of this help desk."))
        return data
