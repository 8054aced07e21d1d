"""The list envelope of CONTRACT section 4, with counts whose cost stops at 10,000 rows.

`count` is exact up to COUNT_CAP; above it, PostgreSQL's planner estimate (never below the cap)
and `"count_exact": false`. Counting every row of a large tenant cost more than the page itself
(60 ms of an 87 ms list at 1,000,000 tickets); counting at most 10,001 costs the same at any size.
Above the cap, pages are found by reading one row past the page, not by the count.
"""

import json

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


def estimated_rows(queryset) -> int:
    """The planner's row estimate for the query (PostgreSQL), 0 where there is none."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return 0
    # Only the ids, unordered: the planner's row count is the same, and planning the list's
    # joins and sorts for nothing cost 90 ms a list on a busy machine (load bench, 1M tickets).
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)  # noqa: S608 - Django's own SQL, values bound  # nosec B608
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class CappedPage(Page):
    more: bool | None = None  # known when the count is an estimate

    def has_next(self) -> bool:
        return super().has_next() if self.more is None else self.more


class CappedPaginator(DjangoPaginator):
    count_exact = True

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not hasattr(rows, "order_by"):
            return len(rows)
        counted = rows.order_by()[: COUNT_CAP + 1].count()
        if counted <= COUNT_CAP:
            return counted
        self.count_exact = False
        return max(COUNT_CAP + 1, estimated_rows(rows))

    def validate_number(self, number):
        if self.count_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if self.count is not None and self.count_exact:  # reading `count` decides it
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        page = self._get_page(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def _get_page(self, *args, **kwargs):
        return CappedPage(*args, **kwargs)


class EnvelopePagination(PageNumberPagination):
    """`{"count", "count_exact", "next", "previous", "results"}`; page_size clamped to 100,
    below 1 is a 400; `"count_exact": false` when `count` is an estimate."""

    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

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

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false when `count` is an estimate (above 10,000)",
        }
        return envelope
