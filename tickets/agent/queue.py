"""The queue dashboard at /t/<tenant>/agent/ (issue 10).

GET: the tickets of the filters in the URL (a bookmarkable GET form), most urgent first, with
the ready views and their counts. POST: a bulk action (assign, status, priority) on the ticked
tickets, through the same services and policy as the API, each ticket on its own with its own
result. Live updates come over the queue socket (static/agent/queue.js).
"""

import zoneinfo

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView

from accounts.actors import Member
from core.errors import ServiceError
from sla.models import SupportPlan
from sla.selectors import PriorityScheme, priority_scheme
from tickets import queue, services
from tickets.agent.doors import AgentPageMixin
from tickets.agent.queue_forms import BulkForm, FilterForm
from tickets.models import SUMMARY_MAX_CHARS, Category, Channel, Status, Ticket
from tickets.selectors import Roster
from tickets.serializers import queue_row

VIEW_LABELS = {
    "my_open": gettext_lazy("My open"),
    "unassigned": gettext_lazy("Unassigned"),
    "at_risk": gettext_lazy("At risk"),
    "breached": gettext_lazy("Breached"),
    "awaiting_customer": gettext_lazy("Awaiting customer"),
    "all_open": gettext_lazy("All open"),
}


# The page's joins; category and plan come from the filters' reads (QueueView._rows).
# The request type (pol-scheme) is a small table: its join keeps the rows' `type` free.
PAGE_RELATED = ("requester", "organization", "assignee", "follow_up_of", "request_type")


def page_rows(tickets: list[Ticket], zone: str, scheme: PriorityScheme) -> list[dict]:
    """What the table shows of each ticket, as plain strings (templates/agent/queue.html).

    Rendering 50 model rows cost more than everything else on the page: the template tried each
    name as a key before the attribute, `get_*_display` rebuilt the field's choices (translating
    every label) on each call, and each number and date went through localization. Here the
    labels are read once a page in the request's language, numbers are plain digits (as the
    template wrote them: no thousands separator) and the due time is formatted in the tenant's
    zone in the language's SHORT_DATETIME_FORMAT (the page names the zone once). The template
    still escapes it all.
    """
    due_format = get_format("SHORT_DATETIME_FORMAT")
    shown = {
        name: {value: str(label) for value, label in Ticket._meta.get_field(name).flatchoices}
        for name in ("status", "channel")
    }
    priorities = scheme.labels
    # Each of the page's few categories named once (the rows share them: QueueView._rows).
    used = {ticket.category for ticket in tickets if ticket.category is not None}
    categories = {category.pk: category.display_name for category in used}
    tz = zoneinfo.ZoneInfo(zone)
    rows = []
    for ticket in tickets:
        organization, assignee = ticket.organization, ticket.assignee
        due = ticket.sla_due_at
        rows.append({
            "number": str(ticket.number),
            "reference": ticket.reference,
            "subject": ticket.subject,
            "requester": ticket.requester_email,
            "organization": None if organization is None else organization.name,
            "priority": ticket.priority,
            "priority_label": priorities.get(ticket.priority, ticket.priority),
            "status": ticket.status,
            "status_label": shown["status"].get(ticket.status, ticket.status),
            "category": categories.get(ticket.category_id),
            "assignee": None if assignee is None else assignee.email,
            "tier": str(ticket.tier),
            "channel_label": shown["channel"].get(ticket.channel, ticket.channel),
            "due": dateformat.format(due.astimezone(tz), due_format) if due else "",
            "due_iso": due.isoformat() if due else "",
            "paused": ticket.sla_paused,
            "breached": ticket.sla_breached,
            "at_risk": ticket.sla_at_risk,
        })  # fmt: skip
    return rows


def row_words() -> dict[str, str]:
    """The words every row repeats, translated once a page (`{% translate "…" as x %}` keeps a
    lazy string that is translated again at each of its 50 uses)."""
    return {
        "tick": _("Tick"),
        "unassigned": _("Unassigned"),
        "paused": _("Paused"),
        "no_clock": _("No clock"),
        "breached": _("Breached"),
        "at_risk": _("At risk"),
    }


class QueueView(AgentPageMixin, TemplateView):
    template_name = "agent/queue.html"
    extra_context = {"agent_section": "queue"}

    _choices: dict | None = None

    def choices(self) -> dict:
        """What the filters offer: one query each for categories, staff and plans, once a
        request (a bulk action that renders the page again reads them once). The tenant's
        every category and plan, kept for the rows (`_rows`); the filters offer active ones."""
        if self._choices is None:
            self._choices = self._read_choices()
        return self._choices

    def _read_choices(self) -> dict:
        staff = sorted(Roster().staff, key=lambda member: member.email)
        self.categories = {c.pk: c for c in Category.objects.order_by("name")}
        self.plans = {p.pk: p for p in SupportPlan.objects.order_by("name")}
        return {
            "categories": [
                (c.slug, c.display_name) for c in self.categories.values() if c.is_active
            ],
            "agents": [member.email for member in staff],
            "plans": [plan.name for plan in self.plans.values()],
            # The tenant's priorities in use, under its labels (cached: no query).
            "priorities": self.scheme().choices(staff=True),
        }

    def scheme(self) -> PriorityScheme:
        return priority_scheme(self.tenant)

    def _rows(self, tickets: QuerySet[Ticket], start: int) -> list[Ticket]:
        """The page's tickets (one past it: is there a next page?), their category and plan
        taken from those read for the filters. Two joins fewer: PostgreSQL planned the page's
        seven-table join in 17-35 ms (more than it took to run), five tables in 1-7 ms."""
        page = tickets.select_related(None).select_related(*PAGE_RELATED)
        rows = list(page[start : start + queue.PAGE_SIZE + 1])
        for ticket in rows:
            Ticket.category.field.set_cached_value(ticket, self.categories.get(ticket.category_id))
            Ticket.plan.field.set_cached_value(ticket, self.plans.get(ticket.plan_id))
        return rows

    def get_context_data(self, bulk_results=None, **kwargs):
        choices = self.choices()
        form = FilterForm(self.request.GET or None, **choices)
        filters = form.filters() if form.is_bound and form.is_valid() else queue.Filters()
        page = form.page_number() if form.is_bound and form.is_valid() else 1
        tickets = queue.dashboard_tickets(self.membership, filters)
        start = (page - 1) * queue.PAGE_SIZE
        rows = self._rows(tickets, start)
        has_next = len(rows) > queue.PAGE_SIZE
        rows = rows[: queue.PAGE_SIZE]
        counts = queue.view_counts(self.membership)
        scheme = self.scheme()
        view = filters.as_view()
        total, exact = queue.total_for(
            tickets, filters, counts, seen=start + len(rows), more=has_next
        )
        return super().get_context_data(
            form=form,
            filters=filters,
            current_view=view,
            views=[(name, VIEW_LABELS[name], counts[name]) for name in queue.VIEWS],
            view_counts=counts,
            tickets=page_rows(rows, self.tenant.timezone, scheme),
            words=row_words(),
            summary_max=SUMMARY_MAX_CHARS,  # the bulk bar's closure summary box
            rows=[queue_row(ticket, scheme) for ticket in rows],
            page=page,
            has_next=has_next,
            first=start + 1,
            last=start + len(rows),
            total=total,
            total_exact=exact,
            bulk=BulkForm(agents=choices["agents"]),
            priority_choices=choices["priorities"],
            agents=choices["agents"],
            # Row links are this + "<number>/": one reverse() a page, not one a row.
            ticket_base=reverse("tickets:agent_ticket", args=[self.tenant.slug, 0])[:-2],
            prev_query=self.page_query(page - 1),
            next_query=self.page_query(page + 1),
            bulk_results=bulk_results,
            labels=self.labels(choices),
            now=timezone.now(),
            **kwargs,
        )

    def page_query(self, page: int) -> str:
        query = self.request.GET.copy()
        query["page"] = str(page)
        return query.urlencode()

    def labels(self, choices: dict) -> dict:
        """What the script shows for a row's values (rows carry values, pages render them)."""
        return {
            "status": dict(Status.choices),
            # Every priority's label, those out of use too: tickets may still carry them.
            "priority": self.scheme().labels,
            "channel": dict(Channel.choices),
            # Every category, inactive ones too: tickets may still be in them.
            "category": {c.slug: c.display_name for c in self.categories.values()},
            "text": {
                "overdue": _("overdue %(time)s"),
                "due_in": _("in %(time)s"),
                "breached": _("Breached"),
                "at_risk": _("At risk"),
                "paused": _("Paused"),
                "no_clock": _("No clock"),
                "nobody": _("Unassigned"),
                "tenant_time": _("%(time)s (%(zone)s)"),
                "your_time": _("your time: %(time)s"),
                "live": _("Live"),
                "offline": _("Offline: reconnecting…"),
                "new_row": _("New or changed"),
                "no_row_selected": _("Select a row with j or k first."),
                "tick": _("Tick"),
            },
        }

    def post(self, request, *args, **kwargs):
        """A bulk action: every ticked ticket through the services, each with its result."""
        choices = self.choices()
        form = BulkForm(
            request.POST,
            agents=choices["agents"],
            priorities=[v for v, _l in choices["priorities"]],
        )
        if not form.is_valid():
            results = [(None, False, error) for errors in form.errors.values() for error in errors]
            return self.render_to_response(self.get_context_data(bulk_results=results), status=400)
        results = self.apply(form.cleaned_data)
        if all(ok for _number, ok, _text in results):
            # All done: back to the same view (a reload then repeats nothing).
            done = len(results)
            messages.success(
                request,
                ngettext("Done for %(n)d ticket.", "Done for %(n)d tickets.", done) % {"n": done},
            )
            return HttpResponseRedirect(self.request.get_full_path())
        return self.render_to_response(self.get_context_data(bulk_results=results))

    def apply(self, data: dict) -> list[tuple[int | None, bool, str]]:
        actor = Member(self.membership)
        numbers = data["tickets"]
        found = {
            t.number: t
            for t in queue.dashboard_tickets(self.membership, queue.Filters(status="any")).filter(
                number__in=numbers
            )
        }
        results = []
        for number in numbers:
            ticket = found.get(number)
            if ticket is None:
                results.append((number, False, _("No such ticket in your queue.")))
                continue
            try:
                self.apply_one(actor, ticket, data["action"], data["value"], data["summary"])
            except ServiceError as error:
                results.append((number, False, str(error.detail)))
            else:
                results.append((number, True, _("Done.")))
        return results

    def apply_one(self, actor: Member, ticket, action: str, value: str, summary: str) -> None:
        if action == "assign_me":
            services.ticket_take(actor=actor, ticket=ticket)
        elif action == "assign":
            services.ticket_change(actor=actor, ticket=ticket, assignee_email=value or None)
        elif action == "status":
            services.ticket_change(actor=actor, ticket=ticket, status=value, summary=summary)
        elif action == "priority":
            services.ticket_change(actor=actor, ticket=ticket, priority=value)
