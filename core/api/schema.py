"""The OpenAPI schema tells the truth (CONTRACT section 4, issue 15).

- Each operation is described by its own view's docstring or its method's, never a base class's
  (drf-spectacular's `inspect.getdoc` inherits, so every tenant endpoint showed "Base for every
  API view under /api/v1/t/<tenant>/.").
- Every operation documents the JSON errors it can answer with.
"""

import inspect

from drf_spectacular import openapi

ERRORS = {
    "400": 'Invalid input: `{"detail"}` or field errors `{"field": ["..."]}`.',
    "401": "No or bad credentials.",
    "403": "Your role may not do this.",
    "404": "No such tenant or object, or not yours (the same answer).",
    "405": "Method not allowed.",
    "406": "Only JSON responses are offered.",
    "409": "Not allowed in the current state; `allowed` lists what is.",
    "413": "The request body, or a file, passes its size limit.",
    "415": "Send JSON or multipart.",
    "429": "Too many requests; try again later.",
}

ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "..."}`, or field errors `{"field": ["..."]}`.',
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
    },
    "additionalProperties": True,
}


class AutoSchema(openapi.AutoSchema):
    def get_description(self) -> str:
        method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        own = self.view.__class__.__dict__.get("__doc__")
        method_doc = inspect.cleandoc(method.__doc__) if method and method.__doc__ else ""
        return method_doc or (inspect.cleandoc(own) if own else "")


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
