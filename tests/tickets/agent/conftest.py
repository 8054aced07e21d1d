import pytest
from django.test import Client

from tests.conftest import login
from tests.tickets.conftest import desks  # noqa: F401  the desks with plans and categories


@pytest.fixture
def browse():
    """A logged-in page client for `user`."""

    def make(user) -> Client:
        client = Client()
        login(client, user)
        return client

    return make
