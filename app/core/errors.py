"""Errors are values with a status and a stable code; one place renders them all as
RFC 9457 problem details (`application/problem+json`)."""

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

logger = logging.getLogger("rapport.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.rapport.dev/errors/"


class AppError(Exception):
    """Base of every error a client may see. Subclasses fix `status`, `code` and `title`."""

    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    detail_example: str = ""

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra

    @classmethod
    def example_detail(cls) -> str:
        """What `detail` says in the spec's example (the title, unless the class says more)."""
        return cls.detail_example or cls.title + "."


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class InternalError(AppError):
    status = 500
    code = "internal_error"
    title = "Internal server error"
    detail_example = "Something went wrong on our side. Quote the request id when you report it."


class DatabaseUnavailable(AppError):
    status = 503
    code = "database_unavailable"
    title = "Service unavailable"
    detail_example = "The database is busy or unreachable; retry shortly."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = "Content too large"
    detail_example = "The request body is over 64 KiB."


class ValidationFailed(AppError):
    """A 422 raised by our own code, with the JSON pointer of the offending input."""

    status = 422
    code = "validation_error"
    title = "Validation failed"

    def __init__(self, detail: str, *, pointer: str) -> None:
        super().__init__(detail, errors=[{"pointer": pointer, "detail": detail}])


class ProblemError(BaseModel):
    pointer: str = Field(examples=["#/ratings/openness"])
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error answers."""

    type: str = Field(examples=["https://docs.rapport.dev/errors/not_found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No member mem_3k… in this tenant."])
    code: str = Field(examples=["not_found"])
    request_id: str = Field(examples=["req_5w2x…"])
    errors: list[ProblemError] | None = None


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": getattr(request.state, "request_id", ""),
    }
    body.update(extra)
    all_headers = dict(headers or {})
    if body["request_id"]:
        # Set here too: a 500 is sent by the outermost middleware, past the request-id one.
        all_headers["X-Request-ID"] = body["request_id"]
    return JSONResponse(body, status_code=status, headers=all_headers, media_type=PROBLEM_JSON)


def problem_example(error: type[AppError]) -> dict[str, Any]:
    """One named example of `error` as it is answered, for the spec."""
    value: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.example_detail(),
        "code": error.code,
        "request_id": "req_5w2xq7kz4m3c6vb2tyn5d7hple",
    }
    if error.status == 422:
        value["errors"] = [{"pointer": "#/ratings/openness", "detail": value["detail"]}]
    return {"summary": f"{error.code}: {error.title}", "value": value}


def problem_responses(errors: Sequence[type[AppError]]) -> dict[str, dict[str, Any]]:
    """Each status with its problem codes (listed in the description, one example each)."""
    by_status: dict[int, dict[str, type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, {}).setdefault(error.code, error)
    return {
        str(status): {
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in group.values()),
            "content": {
                PROBLEM_JSON: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "examples": {code: problem_example(e) for code, e in group.items()},
                }
            },
        }
        for status, group in sorted(by_status.items())
    }


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: the problems it may answer besides the ones every route
    shares (authentication, rate limits, validation; added by `app.core.openapi`)."""
    return {int(status): response for status, response in problem_responses(errors).items()}


def _pointer(loc: Sequence[int | str]) -> str:
    # FastAPI prefixes the source ("body", "query", "path", "header"); a body pointer is
    # relative to the document, a parameter is named by itself.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _path_methods(app: FastAPI) -> list[tuple[re.Pattern[str], list[str]]]:
    """Every documented path template with all its methods (FastAPI keeps included routers
    nested, so the spec is the one flat, public list of them)."""
    cached: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "path_methods", None
    )
    if cached is None:
        cached = []
        for template, item in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
            cached.append((re.compile(f"^{pattern}$"), sorted(m.upper() for m in item)))
        app.state.path_methods = cached
    return cached


def _allowed_methods(request: Request) -> list[str]:
    for pattern, methods in _path_methods(request.app):
        if pattern.match(request.url.path):
            return methods
    return []


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        **exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"pointer": _pointer(e.get("loc", ())), "detail": str(e.get("msg", "invalid"))}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"pointer": "#/", "detail": "invalid"}
    detail = f"{first['pointer']}: {first['detail']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem_response(
        request,
        status=422,
        code="validation_error",
        title="Validation failed",
        detail=detail,
        errors=errors,
    )


# What FastAPI raises for a body it cannot decode at all (bytes that are not UTF-8 JSON).
UNPARSABLE_BODY = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400 and exc.detail == UNPARSABLE_BODY:
        # The same answer as malformed JSON: a 422 pointing at the whole document.
        detail = "The body is not UTF-8 JSON."
        return problem_response(
            request,
            status=422,
            code="validation_error",
            title="Validation failed",
            detail=detail,
            errors=[{"pointer": "#/", "detail": detail}],
        )
    headers = dict(exc.headers or {})
    codes = {
        400: "bad_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
    }
    code = codes.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    if status == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404 and detail == "Not Found":
        detail = f"No route {request.url.path}."
    return problem_response(
        request,
        status=status,
        code=code,
        title=HTTPStatus(status).phrase,
        detail=detail,
        headers=headers,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception(
        "unhandled error", extra={"request_id": getattr(request.state, "request_id", "")}
    )
    return problem_response(
        request,
        status=InternalError.status,
        code=InternalError.code,
        title=InternalError.title,
        detail=InternalError.example_detail(),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
