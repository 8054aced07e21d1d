import pytest

from tests.i18n import flows


@pytest.fixture
def desks(acme, globex):
    """acme and the outsider globex with the demo plans and calendars (the SLA engine)."""
    flows.seed(acme)
    flows.seed(globex)
    return acme, globex
