"""Every operation documents the JSON errors it can answer with (CONTRACT section 4)."""

ERRORS = {
    "400": 'Invalid input: `{"detail"}` or field errors `{"field": ["..."]}`.',
    "401": "No or bad credentials.",
    "403": "Your role may not do this.",
    "404": "No such tenant or object, or not yours (the same answer).",
    "405": "Method not allowed.",
    "406": "Only JSON responses are offered.",
    "409": "Not allowed in the current state; `allowed` lists what is.",
    "413": "A file passes the size limit.",
    "415": "Send JSON or multipart.",
    "429": "Too many requests; try again later.",
}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
