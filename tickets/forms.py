from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from sla.scheme import CANONICAL
from sla.selectors import PriorityScheme
from tickets.models import Category, RequestType
from tickets.selectors import request_types


def add_service_error(form: forms.Form, error: ServiceError) -> None:
    """A service's refusal shown on a page's form: on the field it names when the form has
    that field, else as the form's own error."""
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.detail)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class TicketForm(forms.Form):
    """A new request. `scheme` (the tenant's priorities) and `staff` (who fills it in) decide
    which priorities are offered, under the tenant's labels: a customer sees only those they
    may choose (tickets.policy), and no priority field at all when there is none. Request types
    are offered when the tenant has any."""

    subject = forms.CharField(max_length=200)
    type = forms.ModelChoiceField(
        queryset=RequestType.objects.none(),
        required=False,
        to_field_name="slug",
        label=_("Request type"),
        empty_label=_("Choose one (optional)"),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label=_("Choose one (optional)")
    )
    priority = forms.ChoiceField(choices=(), required=False, label=_("Priority"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=settings.MESSAGE_MAX_CHARS,
        help_text=_(
            "Describe the problem and the steps to reproduce it; add screenshots or logs. "
            "Never paste passwords or full API keys: if you must refer to a key, give only its "
            "first and last few characters."
        ),
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, scheme: PriorityScheme = CANONICAL, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant scope the door entered.
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        types = request_types()
        if types.exists():
            self.fields["type"].queryset = types
        else:
            del self.fields["type"]
        choices = scheme.choices(staff=staff)
        if not choices:
            del self.fields["priority"]  # only agents set priorities here: the default applies
            return
        field = self.fields["priority"]
        if "type" in self.fields:
            # Left at "Default", the request type's priority applies (or the help desk's).
            field.choices = [("", _("Default")), *choices]
            field.help_text = _("Default: the request type's usual priority.")
        else:
            field.choices = choices
            field.required = True
            offered = dict(choices)
            field.initial = scheme.default if scheme.default in offered else choices[-1][0]


class ReplyForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=settings.MESSAGE_MAX_CHARS,
        required=False,
        label=_("Your reply"),
    )
    files = MultipleFileField(label=_("Attachments"))
    internal = forms.BooleanField(required=False, label=_("Internal note (agents only)"))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(i, str(i)) for i in range(5, 0, -1)], coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


class ContactForm(forms.Form):
    """The anonymous contact form (tickets/contact.py): who, what, and a category when the
    help desk has any."""

    name = forms.CharField(max_length=150, label=_("Your name"))
    email = forms.EmailField(label=_("Your email address"))
    subject = forms.CharField(max_length=200, label=_("Subject"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Choose one (optional)"),
        label=_("Category"),
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=settings.MESSAGE_MAX_CHARS,
        label=_("Message"),
        help_text=_("Never paste passwords or full API keys: we hide what looks like one."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant scope the door entered.
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        if not self.fields["category"].queryset.exists():
            del self.fields["category"]
