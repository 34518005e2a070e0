"""Bad input becomes a 4xx with a Chinese message, never a 500 — in one place.

- `RejectNulMiddleware`: a NUL character (`\\x00`) in the path, a query
  parameter or a form field is refused with 400 naming the parameter
  (PostgreSQL cannot store it; SQLite would keep it silently).
- `SafeJSONParser`: the API's JSON bodies — too deeply nested JSON is a 400,
  and a NUL in any string is a 400 naming the field.
- `api_exception_handler`: two writers creating the same record at once (the
  database's unique constraint, `IntegrityError`) is a 409; a database busy
  past its timeout is a 503; a 404 says so in Chinese.

Integers past 64 bits in a URL or a single-choice form field need nothing here:
Django treats an out-of-range exact lookup as no match (404 / invalid choice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

log = logging.getLogger(__name__)

NUL = "\x00"
NUL_MESSAGE = "不能包含空字符（\\x00），请删除后重试"


def _nul_in(request: HttpRequest) -> str | None:
    """The name of the first parameter holding a NUL, or None."""
    if NUL in request.path:
        return "网址"
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.POST)
    for source in sources:
        for key, values in source.lists():
            if NUL in key or any(NUL in v for v in values if isinstance(v, str)):
                return key.replace(NUL, "")
    return None


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = _nul_in(request)
        except (MultiPartParserError, UnicodeDecodeError):
            return _bad_request(request, "detail", "请求内容无法解析（表单格式有误）")
        if field is not None:
            return _bad_request(request, field, f"“{field}”{NUL_MESSAGE}")
        return self.get_response(request)


def _bad_request(request: HttpRequest, field: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {field: message if field == "detail" else [message]}
        return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _first_nul(value: Any, path: str) -> str | None:
    """The path of the first string holding a NUL (keys included), iteratively."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return where or "non_field_errors"
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if NUL in str(key):
                    return where or "non_field_errors"
                stack.append((child, f"{where}.{key}" if where else str(key)))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


class SafeJSONParser(JSONParser):
    """JSON bodies that cannot crash the server or reach the database with a NUL."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON 嵌套层级过深，无法解析") from None
        except exceptions.ParseError:
            raise exceptions.ParseError("请求内容不是有效的 JSON") from None
        field = _first_nul(data, "")
        if field is not None:
            raise exceptions.ValidationError({field: [f"“{field}”{NUL_MESSAGE}"]})
        return data


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: rest_framework.views reads the settings that name this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound("记录不存在或无权访问")
    elif isinstance(exc, RecursionError):
        exc = exceptions.ParseError("请求内容嵌套层级过深，无法处理")
    elif isinstance(exc, IntegrityError):
        log.info("integrity conflict: %s", exc)
        return Response(
            {"detail": "与已有记录冲突（编号重复或同时有人提交了同一记录），请刷新后核对"},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        return Response(
            {"detail": "数据库正忙，请稍后重试"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    return exception_handler(exc, context)
