"""The console page at /t/<tenant>/agent/chats/: staff only, and what it hands its script
(configuration and translated strings through json_script, never inline script)."""

import json
import re

from tests.conftest import login


def config_of(response) -> dict:
    html = response.content.decode()
    found = re.search(
        r'<script id="chat-console-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, html
    return json.loads(found.group(1))


def test_an_agent_gets_the_console_with_its_config_and_strings(client, acme, globex):
    login(client, acme.agent)
    response = client.get("/t/acme/agent/chats/")
    assert response.status_code == 200
    config = config_of(response)
    assert config["tenant"] == "acme"
    assert config["me"] == acme.agent.email
    assert config["api"] == "/api/v1/t/acme/"
    assert config["queueSocket"] == "/ws/t/acme/queue/"
    assert config["strings"]["accept"] == "Accept"
    assert config["csrf"]
    # Transfer targets: acme's other staff only, never its customers or another tenant's agents.
    emails = {agent["email"] for agent in config["agents"]}
    assert emails == {acme.admin.email, acme.tier2.email}
    html = response.content.decode()
    assert 'data-canned-url="/api/v1/t/acme/canned-responses/"' in html
    assert "chat/console.js" in html
    assert "<script>" not in html  # no inline script (the CSP forbids it)


def test_a_customer_is_refused_and_an_outsider_gets_the_404(client, acme, globex):
    login(client, acme.customer)
    assert client.get("/t/acme/agent/chats/").status_code == 403
    login(client, globex.agent)
    assert client.get("/t/acme/agent/chats/").status_code == 404
