"""The "Record a call" page at /t/<tenant>/agent/calls/new/ (CONTRACT section 8 "phone").

An agent who took a call records it as a new ticket for the caller (channel `phone`; the caller
picked from the tenant's customers or typed: an unknown address is an unverified contact) or as
a note on an existing ticket (`?ticket=<number>` from the workspace fills it in). Writes through
`tickets.services.phone`; a refusal is a form error with the service's status code.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.actors import Member
from accounts.models import Membership, Role
from core.api.throttling import form_page_throttled, member_rate_wait
from core.errors import ServiceError
from sla.selectors import priority_scheme
from tickets import redaction, selectors
from tickets.agent.doors import AgentPageMixin
from tickets.agent.forms import CallForm
from tickets.agent.workspace import workspace_url
from tickets.forms import add_service_error
from tickets.services.phone import call_record_note, call_record_ticket

CUSTOMERS_LISTED = 500  # the caller picker's suggestions; any other address may be typed


class RecordCallView(AgentPageMixin, FormView):
    template_name = "agent/call.html"
    form_class = CallForm
    extra_context = {"agent_section": "queue"}

    def get_initial(self):
        number = self.request.GET.get("ticket", "")
        if number.isascii() and number.isdigit():
            return {"kind": "existing", "ticket": int(number)}
        return {"kind": "new"}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "scheme": priority_scheme(self.tenant)}

    def get_context_data(self, **kwargs):
        customers = (
            Membership.objects.filter(role=Role.CUSTOMER)
            .select_related("user", "organization")
            .order_by("user__email")[:CUSTOMERS_LISTED]
        )
        return super().get_context_data(customers=customers, **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        wait = member_rate_wait(request, "ticket_create")
        if wait is not None:
            return form_page_throttled(form, self.form_invalid, wait)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            number = self.record(form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        return redirect(workspace_url(self.tenant, number))

    def record(self, data: dict) -> int:
        actor = Member(self.membership)
        if data["kind"] == "new":
            created = call_record_ticket(
                actor=actor,
                caller_email=data["caller_email"],
                caller_name=data["caller_name"],
                subject=data["subject"],
                notes=data["notes"],
                priority=data["priority"] or None,
                category=data["category"],
            )
            redaction.tell_author(self.request, created.ticket)
            messages.success(
                self.request,
                _("Call recorded as %(reference)s.") % {"reference": created.ticket.reference},
            )
            return created.ticket.number
        ticket = selectors.ticket_for(self.membership, data["ticket"])  # the same 404
        posted = call_record_note(
            actor=actor, ticket=ticket, notes=data["notes"], public=data["visibility"] == "public"
        )
        redaction.tell_author(self.request, posted.message)
        messages.success(self.request, _("Call recorded on %(reference)s.") % {
            "reference": ticket.reference})  # fmt: skip
        return ticket.number
