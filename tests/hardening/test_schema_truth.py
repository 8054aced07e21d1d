"""The OpenAPI schema says what the API does (issue 15, "The OpenAPI schema tells the truth")."""

import pytest

from core.api.schema import ERRORS
from tests.conftest import api_client


@pytest.fixture
def schema(db) -> dict:
    response = api_client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _component(schema: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_fields_that_can_be_null_are_nullable(schema):
    components = schema["components"]["schemas"]
    ticket = components["TicketOut"]["properties"]
    for name in [
        "follow_up_of",
        "assignee",
        "organization",
        "category",
        "first_responded_at",
        "closed_at",
    ]:
        assert ticket[name].get("nullable") or "null" in str(ticket[name]), name
    sla = components["SlaOut"]["properties"]
    for name in [
        "first_response_due",
        "next_response_due",
        "resolution_due",
        "update_due",
        "plan",
    ]:
        assert sla[name].get("nullable"), name
    assert sla["update_breached"]["type"] == "boolean"
    target = components["TargetOut"]["properties"]
    for name in [
        "next_response_minutes",
        "resolution_minutes",
        "update_minutes",
        "outside_hours_first_response_minutes",
    ]:
        assert target[name].get("nullable"), name
    channel = components["ChannelTargetOut"]["properties"]
    assert {"channel", "first_response_minutes", "around_the_clock", "priorities"} == set(channel)
    assert components["MessageOut"]["properties"]["author"].get("nullable")
    assert components["EventOut"]["properties"]["actor"].get("nullable")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/t/{tenant}/tickets/",
        "/api/v1/t/{tenant}/tickets/{number}/messages/",
        "/api/v1/t/{tenant}/tickets/{number}/events/",
        "/api/v1/t/{tenant}/categories/",
        "/api/v1/t/{tenant}/plans/",
    ],
)
def test_lists_are_documented_as_the_envelope_they_return(schema, path):
    operation = schema["paths"][path]["get"]
    body = _component(
        schema, operation["responses"]["200"]["content"]["application/json"]["schema"]
    )
    assert {"count", "next", "previous", "results"} <= set(body["properties"])
    assert body["properties"]["results"]["type"] == "array"
    assert {"page", "page_size"} <= {p["name"] for p in operation.get("parameters", [])}


def test_each_operation_has_its_own_description(schema):
    descriptions = {label: op.get("description", "") for label, op in _operations(schema)}
    assert all(descriptions.values()), [k for k, v in descriptions.items() if not v]
    assert not [k for k, v in descriptions.items() if "Base for every" in v]
    assert len(set(descriptions.values())) == len(descriptions)


@pytest.mark.parametrize(
    "path", ["/api/v1/t/{tenant}/tickets/", "/api/v1/t/{tenant}/tickets/{number}/messages/"]
)
def test_files_are_documented_as_binary_parts(schema, path):
    content = schema["paths"][path]["post"]["requestBody"]["content"]
    multipart = _component(schema, content["multipart/form-data"]["schema"])
    files = multipart["properties"]["files"]
    assert files["type"] == "array" and files["items"]["format"] == "binary"
    assert "additionalProp" not in str(multipart)


def test_every_operation_documents_every_error_status_as_json(schema):
    for label, operation in _operations(schema):
        responses = operation["responses"]
        missing = set(ERRORS) - set(responses)
        assert not missing, (label, missing)
        for status in ERRORS:
            assert "application/json" in responses[status]["content"], (label, status)


def test_an_attachment_is_documented_as_a_file_of_any_type(schema):
    ok = schema["paths"]["/api/v1/t/{tenant}/attachments/{attachment_id}/"]["get"]["responses"]
    assert ok["200"]["content"]["*/*"]["schema"]["format"] == "binary"


def test_a_json_reply_needs_its_text_and_the_idempotency_key_is_documented(schema):
    messages = schema["paths"]["/api/v1/t/{tenant}/tickets/{number}/messages/"]["post"]
    json_body = _component(schema, messages["requestBody"]["content"]["application/json"]["schema"])
    assert "body" in json_body.get("required", [])
    create = schema["paths"]["/api/v1/t/{tenant}/tickets/"]["post"]
    headers = {p["name"]: p for p in create["parameters"] if p["in"] == "header"}
    assert headers["Idempotency-Key"]["schema"]["pattern"]
    reply = _component(
        schema, messages["responses"]["201"]["content"]["application/json"]["schema"]
    )
    assert "follow_up" in reply["properties"] and "follow_up" not in reply.get("required", [])
