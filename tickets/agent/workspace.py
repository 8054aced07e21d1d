"""The ticket workspace at /t/<tenant>/agent/tickets/<number>/ (issue 10).

One page for working a ticket: the thread (internal notes set apart), one reply box (public
reply or internal note, files, "and set status", canned responses), the controls (status,
priority, category, assignee, tier), the SLA clocks, the timeline, the requester's other
tickets, the organization and its plan, and who else has the ticket open (the presence socket,
`tickets.presence`). A door: reads through selectors, writes through services; a refusal of
the policy is a form error with the service's status code, the typed text kept.
"""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.actors import Member
from core.api.throttling import form_page_throttled, member_rate_wait
from core.errors import ServiceError
from core.uploads import check_upload_size
from sla.selectors import priority_scheme
from sla.services import plan_for
from tickets import canned as canned_reads
from tickets import redaction, selectors, services
from tickets.agent.doors import AgentPageMixin
from tickets.agent.forms import ControlsForm, WorkspaceReplyForm
from tickets.agent.panels import (
    event_detail,
    job_label,
    queue_neighbours,
    requester_tickets,
    sla_clocks,
)
from tickets.forms import add_service_error
from tickets.services.lifecycle import UNSET
from tickets.services.workspace import StaleThread, workspace_send


def workspace_url(tenant, number: int) -> str:
    return reverse("tickets:agent_ticket", kwargs={"tenant": tenant.slug, "number": number})


class WorkspaceView(AgentPageMixin, TemplateView):
    template_name = "agent/workspace.html"
    extra_context = {"agent_section": "queue"}

    def get(self, request, tenant, number: int):
        ticket = selectors.ticket_for(self.membership, number)
        return self.render_to_response(self.context(ticket))

    def post(self, request, tenant, number: int):
        ticket = selectors.ticket_for(self.membership, number)
        action = request.POST.get("action")
        handler = {"reply": self.reply, "change": self.change, "take": self.take}.get(action)
        if handler is None:
            return HttpResponseBadRequest(_("Unknown action."))
        return handler(ticket)

    # -- actions ---------------------------------------------------------------------------

    def reply(self, ticket):
        form = WorkspaceReplyForm(
            self.request.POST, self.request.FILES, scheme=priority_scheme(self.tenant)
        )
        wait = member_rate_wait(self.request, "ticket_reply")
        if wait is not None:
            page = lambda form: self.render_to_response(self.context(ticket, reply_form=form))  # noqa: E731
            return form_page_throttled(form, page, wait)
        try:
            check_upload_size(self.request)
            if not form.is_valid():
                return self.render_to_response(self.context(ticket, reply_form=form), status=400)
            data = form.cleaned_data
            canned = None
            if data["canned"]:
                canned = canned_reads.usable_by(self.membership).filter(pk=data["canned"]).first()
            posted = workspace_send(
                actor=Member(self.membership),
                ticket=ticket,
                body=data["body"],
                internal=data["mode"] == "note",
                status=data["status"] or None,
                priority=data["priority"] or None,
                files=data["files"],
                canned=canned,
                seen_up_to=data["seen"],
                summary=data["summary"],
            )
        except StaleThread as stale:
            form.add_error(None, stale.detail)
            context = self.context(ticket, reply_form=form, stale=stale.extra)
            return self.render_to_response(context, status=409)
        except ServiceError as error:
            form.add_error(None, error.detail)
            context = self.context(ticket, reply_form=form)
            return self.render_to_response(context, status=error.status)
        redaction.tell_author(self.request, posted.message)
        done = _("Note added.") if posted.message.internal else _("Reply sent.")
        messages.success(self.request, done)
        return redirect(workspace_url(self.tenant, ticket.number) + "#thread-end")

    def change(self, ticket):
        form = ControlsForm(self.request.POST, auto_id="ctl_%s", **self._controls_kwargs(ticket))
        if not form.is_valid():
            return self.render_to_response(self.context(ticket, controls_form=form), status=400)
        data = form.cleaned_data
        assignee = data["assignee"] or None
        category = data["category"]
        try:
            services.ticket_change(
                actor=Member(self.membership),
                ticket=ticket,
                status=data["status"] if data["status"] != ticket.status else None,
                priority=data["priority"] if data["priority"] != ticket.priority else None,
                category=category if category != ticket.category else UNSET,
                tier=data["tier"] if data["tier"] != ticket.tier else None,
                assignee_email=assignee
                if assignee != (ticket.assignee.email if ticket.assignee_id else None)
                else UNSET,
                summary=data["summary"],
            )
        except ServiceError as error:
            add_service_error(form, error)
            context = self.context(ticket, controls_form=form)
            return self.render_to_response(context, status=error.status)
        messages.success(self.request, _("Ticket updated."))
        return redirect(workspace_url(self.tenant, ticket.number))

    def take(self, ticket):
        try:
            services.ticket_take(actor=Member(self.membership), ticket=ticket)
        except ServiceError as error:
            messages.error(self.request, error.detail)
        else:
            messages.success(self.request, _("The ticket is yours."))
        return redirect(workspace_url(self.tenant, ticket.number))

    # -- the page --------------------------------------------------------------------------

    def _controls_kwargs(self, ticket) -> dict:
        roster = self.__dict__.setdefault("_roster", selectors.Roster())
        return {
            "agents": selectors.eligible_agents(ticket, roster),
            "current_assignee": ticket.assignee.email if ticket.assignee_id else None,
            "scheme": priority_scheme(self.tenant),
            "current_priority": ticket.priority,
        }

    def context(self, ticket, *, reply_form=None, controls_form=None, stale=None) -> dict:
        membership = self.membership
        scheme = priority_scheme(self.tenant)
        thread = list(selectors.thread(membership, ticket))
        if controls_form is None:
            controls_form = ControlsForm(
                auto_id="ctl_%s",  # the reply box has its own status and priority fields
                initial={
                    "status": ticket.status,
                    "priority": ticket.priority,
                    "category": ticket.category_id,
                    "assignee": ticket.assignee.email if ticket.assignee_id else "",
                    "tier": ticket.tier,
                },
                **self._controls_kwargs(ticket),
            )
        previous, following = queue_neighbours(membership, ticket)
        slug = self.tenant.slug
        return self.get_context_data(
            ticket=ticket,
            thread=thread,
            last_seen=max((m.pk for m in thread), default=0),
            opening_files=list(selectors.opening_attachments(ticket)),
            timeline=[(e, event_detail(e, scheme), job_label(e)) for e in selectors.events(ticket)],
            clocks=sla_clocks(ticket),
            other_tickets=requester_tickets(membership, ticket),
            org_plan=plan_for(tenant=self.tenant, organization=ticket.organization),
            reply_form=reply_form or WorkspaceReplyForm(scheme=scheme),
            controls_form=controls_form,
            stale=stale,
            is_mine=ticket.assignee_id == membership.user_id,
            previous_url=workspace_url(self.tenant, previous) if previous else "",
            next_url=workspace_url(self.tenant, following) if following else "",
            queue_url=reverse("tickets:agent_queue", kwargs={"tenant": slug}),
            canned_api=reverse("api-canned", kwargs={"tenant": slug}) + f"?ticket={ticket.number}",
            canned_page=reverse("tickets:agent_canned", kwargs={"tenant": slug}),
            presence_path=f"/ws/t/{slug}/tickets/{ticket.number}/",
            canned_strings=canned_reads.picker_strings(),
            ws_strings=workspace_strings(),
            summary_required=selectors.ticket_settings(self.tenant.pk).closure_summary_required,
        )


def workspace_strings() -> dict[str, str]:
    """The words static/agent/workspace.js shows (`{name}` is filled in the browser)."""
    return {
        "here": _("Also on this ticket:"),
        "typing": _("typing a reply…"),
        "viewing": _("viewing"),
        "posted": _("{name} replied while you were typing — review before sending."),
        "posted_note": _("{name} added an internal note while you were typing."),
        "local": _("Your local time: {time}"),
        "offline": _("Live notice offline, reconnecting…"),
    }
