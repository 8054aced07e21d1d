"""The contact form and the phone in a real browser (issue 12 item 3): a visitor sends the
anonymous contact form and gets the reference; the agent finds the `web` ticket in the queue,
records a call on it and a call from a customer as a new `phone` ticket, then closes one with the
required closure summary that the customer reads on top of the ticket. Screenshots (1280x800):
/tmp/pol-surfaces-*.png."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SHOTS = Path(tempfile.gettempdir())


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"pol-surfaces-{name}.png"), full_page=True)


def test_a_visitor_writes_in_and_the_agent_records_calls(person, server):
    visitor = person(None)
    visitor.goto(server + "/t/acme/contact/")
    expect(visitor.get_by_test_id("contact-form")).to_be_visible()
    shot(visitor, "contact")
    visitor.get_by_label("Your name").fill("Vera Visitor")
    visitor.get_by_label("Your email address").fill("vera@example.net")
    visitor.get_by_label("Subject").fill("Pricing for 5 seats")
    visitor.get_by_label("Category").select_option(label="Account and Billing")
    visitor.get_by_label("Message").fill("Do you have a plan for 5 seats? <b>bold?</b>")
    visitor.get_by_test_id("contact-send").click()
    visitor.wait_for_load_state()
    thanks = visitor.locator(".messages").inner_text()
    assert "we received your message as ACME-" in thanks
    reference = thanks.split("as ", 1)[1].split(".", 1)[0]
    shot(visitor, "contact-sent")

    agent = person("agent@acme.example")
    agent.goto(server + "/t/acme/agent/?channel=web")
    expect(agent.locator("#queue")).to_contain_text(reference)
    shot(agent, "queue")
    agent.goto(f"{server}/t/acme/agent/tickets/{reference.split('-')[1]}/")
    expect(agent.get_by_test_id("subject")).to_have_text("Pricing for 5 seats")
    assert "Web form" in agent.locator(".ws-ref").inner_text()
    assert "<b>bold?</b>" in agent.get_by_test_id("workspace").inner_text()  # shown as text

    # A call on this ticket, from the workspace's link: the number is filled in.
    agent.get_by_test_id("record-call").click()
    agent.wait_for_load_state()
    assert agent.get_by_label("Ticket number").input_value() == reference.split("-")[1]
    shot(agent, "call-existing")
    agent.get_by_label("What was said").fill("Called back: the Team plan fits.")
    agent.get_by_test_id("call-save").click()
    agent.wait_for_load_state()
    thread = agent.get_by_test_id("thread").inner_text()
    assert "Phone call: Called back: the Team plan fits." in thread

    # A customer calls: a new phone ticket from the dashboard's button.
    agent.goto(server + "/t/acme/agent/")
    agent.get_by_test_id("record-call").click()
    agent.wait_for_load_state()
    agent.get_by_label("A new ticket for the caller").check()
    agent.get_by_label("Caller's email").fill("customer@acme.example")
    agent.get_by_label("Subject").fill("Invoice address wrong")
    agent.get_by_label("What was said").fill("Wants the new address on the next invoice.")
    shot(agent, "call-new")
    agent.get_by_test_id("call-save").click()
    agent.wait_for_load_state()
    expect(agent.get_by_test_id("subject")).to_have_text("Invoice address wrong")
    assert "Phone" in agent.locator(".ws-ref").inner_text()
    assert "Call recorded as ACME-" in agent.locator(".messages").inner_text()
    shot(agent, "workspace-phone")
    number = agent.url.rstrip("/").rsplit("/", 1)[1]

    customer = person("customer@acme.example")
    customer.goto(server + "/t/acme/portal/")
    expect(customer.get_by_test_id("ticket-list")).to_contain_text("Invoice address wrong")
    customer.goto(f"{server}/t/acme/tickets/{number}/")
    expect(customer.get_by_test_id("subject")).to_have_text("Invoice address wrong")
