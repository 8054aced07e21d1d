"""The customer portal and the ticket page (agents see the same page with internal notes)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from accounts.actors import Member
from accounts.doors import TenantPageMixin
from core.api.throttling import form_page_throttled, member_rate_wait
from core.errors import ServiceError
from core.uploads import check_upload_size
from sla.selectors import priority_scheme
from tickets import policy, redaction, selectors, services
from tickets.forms import RatingForm, ReplyForm, TicketForm
from tickets.models import Channel, Status


def _ticket_url(tenant, number: int) -> str:
    return f"/t/{tenant.slug}/tickets/{number}/"


class UploadFormMixin:
    """A form view whose service errors (and oversized uploads) become form errors."""

    throttle_scope: str | None = None  # per member, shared with the API's throttle

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        wait = member_rate_wait(request, self.throttle_scope) if self.throttle_scope else None
        if wait is not None:
            return form_page_throttled(form, self.form_invalid, wait)
        try:
            check_upload_size(request)
            if form.is_valid():
                return self.form_valid(form)
        except ServiceError as error:
            form.add_error(None, error.detail)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        return self.form_invalid(form)


class PortalView(TenantPageMixin, TemplateView):
    template_name = "tickets/portal.html"
    page_size = 25

    def get(self, request, *args, **kwargs):
        # Agents work from their own dashboard; customers keep the portal.
        if self.membership.is_staff_member:
            return redirect("tickets:agent_queue", tenant=self.tenant.slug)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        # Agents work the queue by SLA urgency; customers see their latest requests first.
        ordering = "due" if self.membership.is_staff_member else "-created_at"
        tickets = selectors.ticket_list(self.membership, ordering=ordering)
        return super().get_context_data(
            tickets=tickets[: self.page_size],
            # An organization admin sees the organization's requests and its report link.
            organization_view=selectors.organization_scope(self.membership) is not None,
            **kwargs,
        )


class NewTicketView(UploadFormMixin, TenantPageMixin, FormView):
    template_name = "tickets/new.html"
    form_class = TicketForm
    throttle_scope = "ticket_create"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["scheme"] = priority_scheme(self.tenant)
        kwargs["staff"] = self.membership.is_staff_member
        return kwargs

    def form_valid(self, form):
        ticket = services.ticket_create(
            actor=Member(self.membership),
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            category=form.cleaned_data["category"],
            priority=form.cleaned_data.get("priority") or None,
            request_type=form.cleaned_data.get("type"),
            channel=Channel.PORTAL,
            files=form.cleaned_data["files"],
        ).ticket
        messages.success(
            self.request,
            _("Your request %(reference)s was received.") % {"reference": ticket.reference},
        )
        redaction.tell_author(self.request, ticket)
        return redirect(_ticket_url(self.tenant, ticket.number))


class TicketPageView(UploadFormMixin, TenantPageMixin, FormView):
    template_name = "tickets/ticket.html"
    form_class = ReplyForm
    throttle_scope = "ticket_reply"

    def get(self, request, *args, **kwargs):
        # Agents work tickets in their workspace; customers keep this page.
        if self.membership.is_staff_member:
            ticket = selectors.ticket_for(self.membership, self.kwargs["number"])
            return redirect(f"/t/{self.tenant.slug}/agent/tickets/{ticket.number}/")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ticket = selectors.ticket_for(self.membership, self.kwargs["number"])
        context = super().get_context_data(**kwargs)
        context.update(
            ticket=ticket,
            thread=selectors.thread(self.membership, ticket),
            opening_files=selectors.opening_attachments(ticket),
            is_requester=policy.is_requester(Member(self.membership), ticket),
            rating_form=RatingForm(),
            feedback=getattr(ticket, "feedback", None) if not ticket.is_open else None,
            closed=ticket.status == Status.CLOSED,
        )
        return context

    def form_valid(self, form):
        ticket = selectors.ticket_for(self.membership, self.kwargs["number"])
        data = form.cleaned_data
        # The service decides what a post may be (a customer's internal note: refused, 403).
        posted = services.ticket_post(
            actor=Member(self.membership),
            ticket=ticket,
            body=data["body"],
            internal=data["internal"],
            files=data["files"],
        )
        redaction.tell_author(self.request, posted.message)
        if posted.follow_up is not None:
            opened = _("Your reply opened %(reference)s.")
            messages.info(self.request, opened % {"reference": posted.follow_up.reference})
            return redirect(_ticket_url(self.tenant, posted.follow_up.number))
        return redirect(_ticket_url(self.tenant, ticket.number))


class TicketActionView(TenantPageMixin, View):
    """Close and rate: small POST-only actions from the ticket page."""

    def post(self, request, tenant, number: int, action: str):
        ticket = selectors.ticket_for(self.membership, number)
        try:
            if action == "close":
                services.ticket_close(actor=Member(self.membership), ticket=ticket)
                messages.success(request, _("The ticket is closed. How did we do?"))
            elif action == "rate":
                form = RatingForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Pick a rating from 1 to 5."))
                else:
                    services.feedback_give(
                        actor=Member(self.membership), ticket=ticket, **form.cleaned_data
                    )
                    messages.success(request, _("Thank you for your feedback."))
        except ServiceError as error:
            messages.error(request, error.detail)
        return redirect(_ticket_url(self.tenant, number))
