"""`{% priority_label value %}`: a priority as the current tenant names it (sla/scheme.py).

Reads the page's `current_tenant` (accounts.context_processors); its scheme is cached per
process by the tenant's stamp, so a table of tickets costs no query per row. The label is text
a tenant admin typed: a simple tag escapes it.
"""

from django import template

from sla.scheme import CANONICAL, priority_scheme

register = template.Library()


@register.simple_tag(takes_context=True)
def priority_label(context, value: str) -> str:
    tenant = context.get("current_tenant")
    scheme = priority_scheme(tenant) if tenant is not None else CANONICAL
    return scheme.label(value) if value else ""
