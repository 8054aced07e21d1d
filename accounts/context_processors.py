def tenancy(request) -> dict:
    """The tenant and membership a page was opened in, for the layout's header and navigation."""
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
    }
