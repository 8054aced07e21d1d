"""Full-text search on the dashboard: reference, subject, description, the thread and the
requester, each word a prefix, in any language (PostgreSQL `simple` configuration, GIN indexes;
SQLite falls back to a substring match)."""

import re

import pytest
from django.db import connection

from accounts.tenancy import tenant_scope
from tests.conftest import login
from tests.tickets.helpers import as_actor, open_ticket
from tickets import services

URL = "/t/acme/agent/"


def refs(response) -> list[str]:
    return re.findall(r'class="ref" href="[^"]+">([A-Z]+-\d+)<', response.content.decode())


@pytest.fixture
def tickets(desks):
    acme, globex = desks
    printer = open_ticket(acme, subject="Drucker brennt", description="Der Drucker im 3. Stock")
    invoice = open_ticket(acme, subject="Invoice question", description="Wrong VAT on it")
    thread = open_ticket(acme, subject="Something else", description="Nothing to see")
    with tenant_scope(acme.tenant):
        services.ticket_reply(actor=as_actor(acme, acme.customer), ticket=thread,
                              body="Also the kaffeemaschine is leaking")  # fmt: skip
    open_ticket(globex, subject="Drucker of globex", description="Kaffeemaschine too")
    return printer, invoice, thread


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("drucker", [0]),  # subject, any language
        ("Druck", [0]),  # a prefix
        ("vat", [1]),  # description
        ("kaffee", [2]),  # a message of the thread
        ("customer@acme", [0, 1, 2]),  # the requester
        ("invoice wrong", [1]),  # every word
        ("ACME-2", [1]),  # the reference
        ("zzz", []),
        ("'&|!:*()", []),  # tsquery syntax is only text
    ],
)
def test_search_matches_text_thread_requester_and_prefixes(client, desks, tickets, query, expected):
    acme, _ = desks
    login(client, acme.agent)
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert sorted(refs(response)) == sorted(tickets[i].reference for i in expected)
    assert b"globex" not in response.content.lower().replace(b"globex.example", b"")


def test_an_empty_search_explains_what_to_do(client, desks, tickets):
    login(client, desks[0].agent)
    assert b"Try fewer or shorter words" in client.get(URL, {"q": "nothing-like-this"}).content


@pytest.mark.postgres
def test_the_search_expressions_are_the_indexed_ones(desks):
    """An edit of the query's expression alone would silently read every ticket: the indexes
    are defined on exactly the expressions the search uses (bench/dashboard.py shows the plan)."""
    from tickets import queue

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN"
            " ('ticket_search', 'message_search')"
        )
        indexes = dict(cursor.fetchall())

    def normal(sql: str) -> str:
        return re.sub(r"[\s()]|::\w+", "", sql)

    assert normal(queue.TICKET_VECTOR) in normal(indexes["ticket_search"])
    assert normal(queue.MESSAGE_VECTOR) in normal(indexes["message_search"])
