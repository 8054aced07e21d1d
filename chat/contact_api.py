"""`POST /api/v1/t/<tenant>/contact/`: the anonymous contact form as JSON (CONTRACT section 8).

It stands beside the widget's routes because it is one of them for the browser: the same origin
check and CORS preflight (the tenant's allowed widget origins and the help desk's own), the same
per-address and per-tenant throttles (`WidgetAPIView`). The work is the tickets service's
(`tickets.services.contact`); the page is tickets/contact.py.

The answer names the reference and what was masked, never the ticket: the typed email may be a
member's, and an anonymous caller must learn nothing of them (their organization, their plan).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from chat.doors import WidgetAPIView
from tickets.serializers import category_or_error
from tickets.services.contact import contact_form_open, contact_submit


class ContactIn(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField()
    subject = serializers.CharField(max_length=200)
    message = serializers.CharField(max_length=settings.MESSAGE_MAX_CHARS)
    category = serializers.SlugField(required=False, allow_null=True, allow_blank=True)

    def validate_category(self, slug):
        return category_or_error(slug)


class ContactOut(serializers.Serializer):
    reference = serializers.CharField(help_text="The new ticket's reference, e.g. ACME-42.")
    detail = serializers.CharField()
    masked_secrets = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="How many secrets of each kind were masked before saving.",
    )


class ContactView(WidgetAPIView):
    @extend_schema(request=ContactIn, responses={201: ContactOut}, auth=[])
    def post(self, request, tenant):
        """Anyone: open a ticket (channel `web`) for the sender, matched by email like an email
        (a member of the help desk, else an unverified contact); an acknowledgement with the
        reference goes to that address. 404 when the help desk has no contact form."""
        if not contact_form_open(request.tenant):
            raise NotFound(_("This help desk has no contact form."))
        data = ContactIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = contact_submit(
            tenant=request.tenant,
            name=values["name"],
            email=values["email"],
            subject=values["subject"],
            message=values["message"],
            category=values.get("category"),
        )
        ticket = created.ticket
        body = {
            "reference": ticket.reference,
            "detail": _("We received your message as %(reference)s.")
            % {"reference": ticket.reference},
            "masked_secrets": getattr(ticket, "masked_secrets", {}),
        }
        return Response(body, status=201)
