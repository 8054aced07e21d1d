"""Fixtures of the fault tests: a PostgreSQL of their own, migrated once per run."""

import pytest

from tests.hardening.faults import migrated_postgres, tools_missing


@pytest.fixture(scope="session")
def fault_pg():
    """The help desk's schema and demo tenants on a PostgreSQL cluster only these tests use.

    Started once (initdb and migrate take a while); removed at the end of the run, whatever
    happened. A test that stops it starts it again before it ends.
    """
    if tools_missing():
        pytest.skip(tools_missing())
    server = migrated_postgres()
    try:
        yield server
    finally:
        server.remove()
