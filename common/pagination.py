"""``limit``/``offset`` pages whose parameters are checked, never silently clamped or ignored.

DRF's ``LimitOffsetPagination`` falls back to the default for ``limit=x`` or ``limit=-1`` and
hands any integer on to the database (``limit=9223372036854775808`` overflows SQLite: a 500).
Here a value outside its range is a 400 ``Validation error`` located in the query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

# The most items one page may carry, and the largest offset (a 32-bit INT, what Databricks'
# LIMIT/OFFSET take; far beyond any list this service keeps).
MAX_PAGE_LIMIT = 200
MAX_OFFSET = 2**31 - 1


class PageQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """``limit`` (1 to ``MAX_PAGE_LIMIT``) and ``offset`` (0 to ``MAX_OFFSET``), both optional."""

    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_LIMIT, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)


class CheckedLimitOffsetPagination(pagination.LimitOffsetPagination):
    """LimitOffsetPagination whose ``limit`` and ``offset`` are validated (400 when out of range)."""

    max_limit = MAX_PAGE_LIMIT

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        page = PageQuerySerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        self._page: dict[str, Any] = dict(page.validated_data)
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request: Request) -> int | None:
        limit = self._page.get("limit", self.default_limit)
        return None if limit is None else int(limit)

    def get_offset(self, request: Request) -> int:
        return int(self._page.get("offset", 0))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF's page schema is OpenAPI 3.0 (``nullable``) with example URLs of its own: the
        # service's document is 3.1, where null is a type.
        paginated = super().get_paginated_response_schema(schema)
        for link, offset in (("next", 100), ("previous", 0)):
            paginated["properties"][link] = {
                "type": ["string", "null"],
                "format": "uri",
                "description": f"The {link} page's URL; null when there is none.",
                "example": f"http://127.0.0.1:8000/api/v1/jobs?limit=50&offset={offset}",
            }
        paginated["properties"]["count"] = {
            "type": "integer",
            "description": "Items on all pages.",
            "example": 1,
        }
        return paginated

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        ranges = {self.limit_query_param: (1, MAX_PAGE_LIMIT), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = ranges[parameter["name"]]
            parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters
