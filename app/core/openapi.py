"""The OpenAPI document, finished in one place so that every operation reads the same.

FastAPI builds the document from the routes; this adds what it cannot know on its own, from
the code rather than by hand: the summary and description from the route's docstring (its
first paragraph, then the rest); the credentials it takes (told by the app's `describe`);
every problem it may answer, by status, with its codes listed and one example each; the
headers every answer carries (`X-Request-ID`, the rate-limit pair, `Retry-After`,
`Idempotent-Replayed`); and request and response examples lifted from the schemas.
"""

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.core.errors import (
    PROBLEM_JSON,
    AppError,
    InternalError,
    PayloadTooLarge,
    Problem,
    ValidationFailed,
    problem_responses,
)
from app.core.idempotency import (
    HEADER as IDEMPOTENCY_HEADER,
)
from app.core.idempotency import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
)
from app.core.pagination import InvalidCursor

JSON = "application/json"
REF = "#/components/schemas/"


@dataclass(frozen=True)
class RouteDocs:
    """What the app says about one route's credentials."""

    security: list[dict[str, list[str]]]  # alternatives; empty for a public route
    errors: tuple[type[AppError], ...]  # problems its credentials check may answer


Describe = Callable[[Dependant], RouteDocs]

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id: the client's own `X-Request-ID` when it sent a "
        "sane one (1–128 of `A-Za-z0-9._:-`), else a new one. Logs carry it; quote it "
        "when reporting a problem.",
        "schema": {"type": "string"},
        "example": "req_5w2xq7kz4m3c6vb2tyn5d7hple",
    },
    "RateLimit-Policy": {
        "description": "The caller's limit (IETF draft-11): `q` requests per `w` seconds.",
        "schema": {"type": "string"},
        "example": '"default";q=1200;w=60',
    },
    "RateLimit": {
        "description": "What is left of the limit (IETF draft-11): `r` requests remain "
        "for the next `t` seconds.",
        "schema": {"type": "string"},
        "example": '"default";r=1187;t=41',
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
        "example": 41,
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key` and body (nothing was done again); absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "WWW-Authenticate": {
        "description": "The Bearer challenge (RFC 6750).",
        "schema": {"type": "string"},
        "example": 'Bearer realm="rapport", error="invalid_token"',
    },
}

CREDENTIALS_TEXT = {
    "public": "**Credentials:** none; this operation is public.",
    "apiKey": "**Credentials:** a secret API key (`apiKey`: `sk_live_…` or `sk_test_…`). "
    "A member token is refused with 403 `forbidden_for_member_token`.",
    "apiKey+memberToken": "**Credentials:** a secret API key (`apiKey`: `sk_live_…` or "
    "`sk_test_…`) or a member token (`memberToken`), which acts as its member.",
}
PAGINATION_TEXT = (
    "**Pagination:** `limit` (1–100, default 20) items per page; the answer's `has_more` "
    "says whether more follow, and `next_cursor` passed back as `cursor` fetches them."
)
IDEMPOTENCY_TEXT = (
    "**Idempotency:** send `Idempotency-Key` to make a retry safe: the same key and body "
    "within 24 hours replays the first answer (with `Idempotent-Replayed: true`)."
)


def finish(app: FastAPI, schema: dict[str, Any], describe: Describe) -> dict[str, Any]:
    """Complete FastAPI's document for `app` in place, and answer it."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template=REF + "{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _restore_examples(schemas)
    _rename_pages(schema)
    components["headers"] = HEADERS
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        docs = describe(context.dependant)
        for method in sorted(context.methods or ()):
            operation = schema["paths"][context.path_format][method.lower()]
            _document(operation, method, route.endpoint, docs, schemas)
    return schema


def _models(base: type[BaseModel] = BaseModel) -> Iterable[type[BaseModel]]:
    for model in base.__subclasses__():
        yield model
        yield from _models(model)


def _restore_examples(schemas: dict[str, Any]) -> None:
    """FastAPI drops every null from the document (`exclude_none`), examples' nulls too,
    which leaves them invalid against their own schemas: put the models' examples back."""
    by_name: dict[str, list[Any]] = {}
    for model in _models():
        extra = model.model_config.get("json_schema_extra")
        if model.__module__.startswith("app.") and isinstance(extra, dict):
            examples = extra.get("examples")
            if isinstance(examples, list) and model.__name__ in schemas:
                by_name[model.__name__] = examples
    for name, examples in by_name.items():
        schemas[name]["examples"] = examples


def _rename_pages(schema: dict[str, Any]) -> None:
    """`Page[MemberPublic]` is `Page_MemberPublic_` to pydantic; `MemberList` reads better in
    the docs and in generated SDKs."""
    schemas = schema["components"]["schemas"]
    renames: dict[str, str] = {}
    for name in list(schemas):
        match = re.fullmatch(r"Page_(\w+?)(?:Public)?_", name)
        if match:
            renames[REF + name] = REF + match.group(1) + "List"
            schemas[match.group(1) + "List"] = {
                **schemas.pop(name),
                "title": match.group(1) + "List",
            }
    schema["components"]["schemas"] = dict(sorted(schemas.items()))

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") in renames:
                node["$ref"] = renames[node["$ref"]]
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    rewrite(schema)


def _document(
    operation: dict[str, Any],
    method: str,
    endpoint: Callable[..., Any],
    docs: RouteDocs,
    schemas: dict[str, Any],
) -> None:
    params = {p["name"]: p for p in operation.get("parameters", [])}
    paginated = "cursor" in params
    _summary_and_description(operation, endpoint, docs, paginated, method)
    if docs.security:
        operation["security"] = docs.security
    else:
        operation.pop("security", None)
    if IDEMPOTENCY_HEADER in params:
        params[IDEMPOTENCY_HEADER]["example"] = "signup-42-2026-11-25"

    errors: list[type[AppError]] = [*docs.errors, InternalError]
    if params or "requestBody" in operation or docs.security:
        errors.append(ValidationFailed)
    if paginated:
        errors.append(InvalidCursor)
    if method == "POST":
        errors += [IdempotencyKeyReused, IdempotencyKeyInUse]
    if "requestBody" in operation:
        errors.append(PayloadTooLarge)
    _optional_body(operation)
    _merge_problems(operation["responses"], problem_responses(errors))
    _headers(operation["responses"], method, authenticated=bool(docs.security))
    _examples(operation, schemas)


def _summary_and_description(
    operation: dict[str, Any],
    endpoint: Callable[..., Any],
    docs: RouteDocs,
    paginated: bool,
    method: str,
) -> None:
    """Docstring: first paragraph → summary; the rest → description, then the rules that
    apply (credentials, pagination, idempotency). A route without a docstring body keeps
    no description of its own, which the spec's test refuses."""
    paragraphs = inspect.cleandoc(endpoint.__doc__ or "").split("\n\n")
    if not paragraphs[0]:
        return
    operation["summary"] = " ".join(paragraphs[0].split()).rstrip(".")
    body = [p for p in paragraphs[1:] if p.strip()]
    if not body:
        operation.pop("description", None)
        return
    scheme = "+".join(next(iter(s)) for s in docs.security) or "public"
    notes = [CREDENTIALS_TEXT[scheme]]
    if paginated:
        notes.append(PAGINATION_TEXT)
    if method == "POST":
        notes.append(IDEMPOTENCY_TEXT)
    operation["description"] = "\n\n".join([*body, *notes])


def _optional_body(operation: dict[str, Any]) -> None:
    """An optional body (`body: X | None = None`) is documented as "X, or no body" rather
    than "X or JSON null": SDKs then leave it out when not given (one generator would
    otherwise send its own not-set marker)."""
    request = operation.get("requestBody")
    if request is None or request.get("required"):
        return
    media = request["content"].get(JSON, {})
    variants = media.get("schema", {}).get("anyOf", [])
    refs = [v for v in variants if "$ref" in v]
    if len(variants) == 2 and len(refs) == 1 and {"type": "null"} in variants:
        media["schema"] = refs[0]


def _merge_problems(responses: dict[str, Any], extra: dict[str, dict[str, Any]]) -> None:
    """Add `extra`'s problems to the route's own, by status; FastAPI's own 422 (a JSON
    HTTPValidationError) is replaced, since every error here is problem+json."""
    for status, response in extra.items():
        current = responses.get(status)
        media = (current or {}).get("content", {}).get(PROBLEM_JSON)
        if media is None:
            responses[status] = response
            continue
        for code, example in response["content"][PROBLEM_JSON]["examples"].items():
            media.setdefault("examples", {}).setdefault(code, example)
        current["description"] = "; ".join(  # type: ignore[index]
            f"`{code}`: {example['value']['title']}" for code, example in media["examples"].items()
        )
    for status in sorted(responses, key=str):
        responses[status] = responses.pop(status)


def _header_refs(names: Iterable[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _headers(responses: dict[str, Any], method: str, *, authenticated: bool) -> None:
    for status, response in responses.items():
        names = ["X-Request-ID"]
        if authenticated and (status.startswith("2") or status == "429"):
            names += ["RateLimit-Policy", "RateLimit"]
        if status in ("429", "503"):
            names.append("Retry-After")
        if status == "401":
            names.append("WWW-Authenticate")
        if method == "POST" and status.startswith("2"):
            names.append("Idempotent-Replayed")
        response.setdefault("headers", {}).update(_header_refs(names))


def _component(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The component a body schema names, directly or as the non-null side of `anyOf`."""
    for candidate in [schema, *schema.get("anyOf", [])]:
        ref = candidate.get("$ref", "")
        if ref.startswith(REF):
            found: dict[str, Any] = schemas[ref.removeprefix(REF)]
            return found
    return None


def _example_of(schema: dict[str, Any], schemas: dict[str, Any]) -> Any | None:
    """The component's first example; for a list page, a page of one item's example."""
    component = _component(schema, schemas)
    if component is None:
        return None
    if component.get("examples"):
        return component["examples"][0]
    properties = component.get("properties", {})
    if {"data", "has_more", "next_cursor"} <= set(properties):
        item = _example_of(properties["data"].get("items", {}), schemas)
        if item is not None:
            return {"data": [item], "has_more": True, "next_cursor": "WyJ0IiwiMjAyNi0xMS0yNSJd"}
    return None


def _examples(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    media_types = [operation.get("requestBody", {}).get("content", {}).get(JSON)]
    media_types += [
        response.get("content", {}).get(JSON)
        for status, response in operation["responses"].items()
        if status.startswith("2")
    ]
    for media in media_types:
        if media is not None and "example" not in media:
            example = _example_of(media.get("schema", {}), schemas)
            if example is not None:
                media["example"] = example
