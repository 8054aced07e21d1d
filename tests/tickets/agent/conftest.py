import pytest
from django.test import Client

from tests.conftest import login


@pytest.fixture
def browse():
    """A logged-in page client for `user`."""

    def make(user) -> Client:
        client = Client()
        login(client, user)
        return client

    return make
