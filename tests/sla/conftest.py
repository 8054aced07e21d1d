import pytest

from sla import demo, subjects
from tests.sla.helpers import SUBJECT, Recorder


@pytest.fixture
def recorder():
    """The test-only subject type's handler, registered for the test and removed after it."""
    handler = Recorder()
    subjects.register(SUBJECT, handler)
    yield handler
    subjects.unregister(SUBJECT)


@pytest.fixture
def plans(acme):
    """acme's demo calendar (Berlin, Mon-Fri 09-18, DE/BE holidays) and Basic/Regular/Premium."""
    return demo.seed_tenant(acme.tenant)


@pytest.fixture
def globex_plans(globex):
    """The outsider's plans (New York, Sun-Thu 10-18, US/NY holidays)."""
    return demo.seed_tenant(globex.tenant)
