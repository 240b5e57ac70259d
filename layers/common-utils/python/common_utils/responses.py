"""API Gateway proxy responses with JSON bodies produced by pydantic (datetimes, enums handled)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError


def ok_response(body: BaseModel | dict[str, Any], status: int = 200) -> dict[str, Any]:
    payload = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": payload}


def error_response(error: ValidationError | str, status: int = 400) -> dict[str, Any]:
    if isinstance(error, ValidationError):
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]
        body = {"error": "validation failed", "details": details}
    else:
        body = {"error": error}
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
