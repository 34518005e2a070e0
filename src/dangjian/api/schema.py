"""The OpenAPI schema describes every response the API gives, errors included.

drf-spectacular documents only the success response of each operation; the API
also answers 400 (bad input, with the Chinese message per field), 401, 403,
404, 409 (a concurrent create of the same record), 412 (a stale `If-Match`),
415 and 503 (the database busy). One schema class adds them to every operation.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

ERROR_BODY = {
    "type": "object",
    "description": "错误说明：`detail` 为总的说明，或每个出错字段名对应一组中文说明",
    "additionalProperties": {},
}

_ALWAYS = {
    "400": "请求有误（参数或字段不合要求，逐字段给出中文说明）",
    "401": "未登录或令牌无效",
    "403": "无权进行此操作",
    "404": "记录不存在或无权访问",
    "406": "无法按请求的格式返回",
    "503": "数据库正忙，请稍后重试",
}
_WRITES = {
    "409": "与已有记录冲突（编号重复或同时有人提交了同一记录）",
    "415": "不支持的请求内容类型",
}
_UPDATES = {"412": "记录已被他人修改（If-Match 与当前版本不符）"}


class DangjianAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = dict(_ALWAYS)
        if self.method in ("POST", "PUT", "PATCH"):
            codes.update(_WRITES)
        if self.method in ("PUT", "PATCH"):
            codes.update(_UPDATES)
        for code, description in codes.items():
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": ERROR_BODY}},
                    "description": description,
                },
            )
        return responses
