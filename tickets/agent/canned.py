"""An agent's own canned responses at /t/<tenant>/agent/canned/ (list, create, edit, delete);
the shared ones are listed read-only (their admins manage them in the tenant admin)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.actors import Member
from core.errors import ServiceError
from core.text_forms import with_languages
from sla.selectors import priority_scheme
from tickets import canned as canned_reads
from tickets.agent.doors import AgentPageMixin
from tickets.agent.forms import CANNED_LANGUAGE_SPEC, CannedForm
from tickets.forms import add_service_error
from tickets.services import canned as canned_services

FIELDS = ("title", "body", "status", "priority")


def _list_url(tenant) -> str:
    return reverse("tickets:agent_canned", kwargs={"tenant": tenant.slug})


class CannedListView(AgentPageMixin, TemplateView):
    """GET: the list and an empty form; POST: create one of your own."""

    template_name = "agent/canned.html"
    extra_context = {"agent_section": "canned"}

    def get(self, request, tenant):
        return self.render_to_response(self.context(self.form()))

    def post(self, request, tenant):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                canned_services.canned_create(actor=Member(self.membership), **self.values(form))
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Response saved."))
                return redirect(_list_url(self.tenant))
        return self.render_to_response(self.context(form), status=400)

    def form(self, *args, current_priority: str = "", **kwargs) -> CannedForm:
        """The form, with a title and a text input per language of the help desk."""
        scheme = priority_scheme(self.tenant)
        form_class = with_languages(CannedForm, self.tenant, CANNED_LANGUAGE_SPEC)
        return form_class(*args, scheme=scheme, current_priority=current_priority, **kwargs)

    @staticmethod
    def values(form) -> dict:
        return {
            **{name: form.cleaned_data.get(name) or "" for name in FIELDS},
            **form.translated_values(),
        }

    def context(self, form, editing=None) -> dict:
        return self.get_context_data(
            form=form,
            editing=editing,
            own=list(canned_reads.own(self.membership)),
            shared=list(canned_reads.shared()),
            placeholders=canned_reads.placeholder_help(),
        )


class CannedEditView(CannedListView):
    """GET: the form filled with one of your responses; POST: save it, or delete it."""

    def get(self, request, tenant, canned_id: int):
        found = self._own_or_404(canned_id)
        initial = {f: getattr(found, f) for f in FIELDS}
        form = self.form(initial=initial, current_priority=found.priority, texts_of=found)
        return self.render_to_response(self.context(form, editing=found))

    def post(self, request, tenant, canned_id: int):
        found = self._own_or_404(canned_id)
        actor = Member(self.membership)
        if request.POST.get("action") == "delete":
            try:
                canned_services.canned_delete(actor=actor, canned=found)
            except ServiceError as error:
                messages.error(request, error.detail)
            else:
                messages.success(request, _("Response deleted."))
            return redirect(_list_url(self.tenant))
        form = self.form(request.POST, current_priority=found.priority)
        if form.is_valid():
            try:
                canned_services.canned_update(actor=actor, canned=found, **self.values(form))
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Response saved."))
                return redirect(_list_url(self.tenant))
        return self.render_to_response(self.context(form, editing=found), status=400)

    def _own_or_404(self, canned_id: int):
        """Only your own are editable here; a shared one, another agent's or a missing one is
        the same 404 (agents cannot tell another agent's responses exist)."""
        found = canned_reads.own(self.membership).filter(pk=canned_id).first()
        if found is None:
            raise Http404(_("No such response."))
        return found
