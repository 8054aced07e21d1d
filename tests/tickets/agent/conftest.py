from tests.tickets.conftest import desks  # noqa: F401  the desks with plans and categories
