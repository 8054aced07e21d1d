"""The anonymous contact form's page at /t/<tenant>/contact/ (CONTRACT section 8; the JSON door
is chat/contact_api.py, beside the widget's routes whose origin checks and throttles it shares).

Anyone may open it: a tenant that has switched the form off, like a tenant that does not exist,
is a 404. A POST counts against the widget's per-address and per-tenant buckets
(`chat_start`, `chat_tenant`), so the page and the API share one limit. Secrets are masked by
the service; the visitor is told when something was.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.doors import PublicTenantPageMixin
from core.api.throttling import form_page_throttled, page_rate_wait, tenant_ident
from core.errors import ServiceError
from tickets import redaction
from tickets.forms import ContactForm, add_service_error
from tickets.services.contact import contact_form_open, contact_submit

ADDRESS_SCOPE, TENANT_SCOPE = "chat_start", "chat_tenant"


def contact_rate_wait(request, tenant) -> int | None:
    """Seconds to wait (None: go on): per address, then per tenant, as the widget's POSTs."""
    wait = page_rate_wait(request, ADDRESS_SCOPE)
    if wait is None:
        wait = page_rate_wait(request, TENANT_SCOPE, ident=tenant_ident(tenant))
    return wait


class ContactPageView(PublicTenantPageMixin, FormView):
    template_name = "tickets/contact.html"
    form_class = ContactForm

    def get(self, request, *args, **kwargs):
        self._require_open()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._require_open()
        form = self.get_form()
        wait = contact_rate_wait(request, self.tenant)
        if wait is not None:
            return form_page_throttled(form, self.form_invalid, wait)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            created = contact_submit(
                tenant=self.tenant,
                name=data["name"],
                email=data["email"],
                subject=data["subject"],
                message=data["message"],
                category=data.get("category"),
            )
        except ServiceError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        messages.success(
            request,
            _("Thank you: we received your message as %(reference)s. We will answer by email.")
            % {"reference": created.ticket.reference},
        )
        redaction.tell_author(request, created.ticket)
        return redirect("tickets:contact", tenant=self.tenant.slug)

    def _require_open(self) -> None:
        if not contact_form_open(self.tenant):
            raise Http404(_("No contact form."))
