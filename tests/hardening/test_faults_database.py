"""The database connection dropped: one request may fail, cleanly, and the next one works
(issue 15, harness stage 3).

What a person sees while the database is away: under /api/ a 503 with a JSON reason and
Retry-After; on a page a short "briefly unavailable, try again" page (status 503). Never a
500, never a stack trace. Against a PostgreSQL this test starts, stops and starts again itself.
"""

import pytest

from tests.hardening.faults import (
    FAULT_WEB_PORTS,
    Browser,
    RedisServer,
    api_token,
    app_env,
    free_port_in,
    processes,
    read_logs,
    wait_until_serving,
    web_command,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]
TICKETS = "/api/v1/t/acme/tickets/"
LEAKS = ("Traceback", "OperationalError", "psycopg", 'File "', "Internal error")


def assert_clean_unavailable(answer, *, api: bool) -> None:
    """What a person may see while the database is away."""
    assert answer.status == 503, (answer.status, answer.text[:1000])
    assert answer.headers.get("retry-after") == "5"
    for leak in LEAKS:
        assert leak not in answer.text, answer.text[:2000]
    if api:
        assert answer.headers["content-type"].startswith("application/json")
        assert "try again" in answer.json()["detail"]
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert "briefly unavailable" in answer.text and "try again" in answer.text


def assert_fine_or_clean(answer, *, api: bool) -> None:
    if answer.status != 200:
        assert_clean_unavailable(answer, api=api)


@pytest.fixture
def desk(fault_pg, tmp_path):
    redis = RedisServer()
    redis.start()
    port = free_port_in(FAULT_WEB_PORTS)
    base = f"http://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    try:
        with processes(
            {"web": web_command(port)}, env=app_env(fault_pg, redis, smtp_port=1), logs=logs
        ):
            wait_until_serving(base)
            yield base, logs
    finally:
        redis.stop()
        fault_pg.start_if_stopped()


def test_a_killed_connection_fails_at_most_one_request_cleanly_and_the_next_works(fault_pg, desk):
    base, logs = desk
    token = {"Authorization": f"Token {api_token(base, 'customer@acme.example')}"}
    portal = Browser(base)
    portal.log_in("customer@acme.example")
    api = Browser(base)
    assert api.request("GET", TICKETS, headers=token).status == 200
    assert portal.get("/t/acme/portal/").status == 200

    killed = fault_pg.sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0][0]
    assert killed >= 1  # the server's pooled connections

    assert_fine_or_clean(api.request("GET", TICKETS, headers=token), api=True)
    assert api.request("GET", TICKETS, headers=token).status == 200, read_logs(logs)
    assert_fine_or_clean(portal.get("/t/acme/portal/"), api=False)
    assert portal.get("/t/acme/portal/").status == 200


def test_while_the_database_is_down_people_are_told_to_retry_and_it_works_once_it_is_back(
    fault_pg, desk
):
    base, logs = desk
    token = {"Authorization": f"Token {api_token(base, 'customer@acme.example')}"}
    portal = Browser(base)
    portal.log_in("customer@acme.example")
    api = Browser(base)

    fault_pg.stop()
    try:
        assert_clean_unavailable(api.request("GET", TICKETS, headers=token), api=True)
        created = api.request(
            "POST", TICKETS, headers=token, json_body={"subject": "Down", "description": "x"}
        )
        assert_clean_unavailable(created, api=True)
        assert_clean_unavailable(portal.get("/t/acme/portal/"), api=False)
        health = Browser(base).get("/healthz")
        assert health.status == 503 and "database" in health.json()["down"]
    finally:
        fault_pg.start()

    # The first request after may still meet a connection from before (at most one fails,
    # cleanly); the next one works, the session and token are still good.
    assert_fine_or_clean(api.request("GET", TICKETS, headers=token), api=True)
    assert api.request("GET", TICKETS, headers=token).status == 200, read_logs(logs)
    created = api.request(
        "POST", TICKETS, headers=token, json_body={"subject": "Back", "description": "x"}
    )
    assert created.status == 201
    assert_fine_or_clean(portal.get("/t/acme/portal/"), api=False)
    page = portal.get("/t/acme/portal/")
    assert page.status == 200 and "Back" in page.text
    assert not fault_pg.sql("SELECT 1 FROM tickets_ticket WHERE subject = 'Down'")
