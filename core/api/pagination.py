from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class EnvelopePagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; page_size clamped to 100, below 1 is a 400."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["A whole number from 1 to 100."]}) from None
        if size < 1:
            raise ValidationError({"page_size": ["A whole number from 1 to 100."]})
        return min(size, self.max_page_size)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false when `count` is an estimate (above 10,000)",
        }
        return envelope
