"""The OpenAPI document is the product clients build on: these tests walk every operation of
the generated spec (so a route added later is held to the same bar) and check what a client
developer relies on."""

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.migrations import ROOT

SPEC = ROOT / "openapi" / "openapi.json"
PROBLEM_JSON = "application/problem+json"
PUBLIC_OPERATIONS = {"getHealth", "getReadiness", "getMetrics"}
# The readiness probe answers its own JSON body when not ready, so a load balancer (and an
# operator) sees which part is not ready; every other error is problem+json.
NOT_PROBLEMS = {("getReadiness", "503")}
METHODS = {"get", "put", "post", "delete", "patch"}
IDEMPOTENCY = "Idempotency-Key"


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


@pytest.fixture(scope="module")
def app(settings: Any) -> FastAPI:
    # Module-scoped: building the document needs no database, only the routes.
    from app.main import create_app

    return create_app(settings)


def test_committed_spec_is_current(spec: dict[str, Any]) -> None:
    committed = json.loads(Path(SPEC).read_text())
    assert committed == spec, "openapi/openapi.json is stale: run `rapport openapi`"


def test_operation_ids_read_naturally(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids))
    assert {"createMember", "createMemberToken", "createCheckIn", "acceptInvite"} <= set(ids)
    for operation_id in ids:
        assert operation_id.isalnum() and operation_id[0].islower(), operation_id


def lint(spec: dict[str, Any]) -> list[str]:
    """Everything an operation lacks, as `METHOD /path: what`; empty when all is there."""
    found: list[str] = []

    def check(ok: object, where: str, what: str) -> None:
        if not ok:
            found.append(f"{where}: {what}")

    tags = {t["name"]: t.get("description", "") for t in spec["tags"]}
    check(all(tags.values()), "tags", "every tag needs a description")
    schemes = spec["components"]["securitySchemes"]
    for method, path, op in operations(spec):
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        check(op.get("summary") and len(op["summary"]) <= 80, where, "summary (≤ 80 chars)")
        check(
            op.get("description"),
            where,
            "description: give the route's docstring a body after its summary line",
        )
        check(
            len(op.get("tags", [])) == 1 and op["tags"][0] in tags,
            where,
            "exactly one tag, declared with a description in app.main.TAGS",
        )
        if op.get("operationId") in PUBLIC_OPERATIONS:
            check("security" not in op, where, "a public operation declares no security")
        else:
            requirements = op.get("security") or []
            check(requirements, where, "security: add its router to app.api.ROUTERS")
            check(all(set(r) <= set(schemes) for r in requirements), where, "unknown scheme")
            check({"apiKey": []} in requirements, where, "the secret key must be accepted")
            check(
                {"401", "422", "429", "503"} <= set(responses),
                where,
                "authentication, validation, rate-limit and availability problems",
            )

        successes = {s: r for s, r in responses.items() if s.startswith("2")}
        check(successes, where, "a 2xx response")
        for status, response in successes.items():
            if status == "204":
                continue
            media_types = response.get("content", {}).values()
            check(
                media_types and all(m.get("example") or m.get("examples") for m in media_types),
                where,
                f"{status}: an example (give the response model examples)",
            )
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            check(body.get("example") is not None, where, "a request body example")

        check("500" in responses, where, "500 internal_error")
        for status, response in responses.items():
            check("X-Request-ID" in response.get("headers", {}), where, f"{status}: X-Request-ID")
            if status[0] not in "45" or (op.get("operationId"), status) in NOT_PROBLEMS:
                continue
            content = response.get("content", {})
            check(list(content) == [PROBLEM_JSON], where, f"{status}: problem+json only")
            media = content.get(PROBLEM_JSON, {})
            codes = list(media.get("examples", {}))
            check(codes, where, f"{status}: problem codes")
            for code in codes:
                check(f"`{code}`" in response["description"], where, f"{status}: lists {code}")
            if status in ("429", "503"):
                check("Retry-After" in response["headers"], where, f"{status}: Retry-After")

        params = {p["name"]: p for p in op.get("parameters", [])}
        if method == "post":
            check(params.get(IDEMPOTENCY, {}).get("in") == "header", where, "Idempotency-Key")
            for status, response in successes.items():
                check(
                    "Idempotent-Replayed" in response.get("headers", {}),
                    where,
                    f"{status}: Idempotent-Replayed",
                )
            check("`idempotency_key_reused`" in str(responses.get("422")), where, "key reused")
            check("`idempotency_key_in_use`" in str(responses.get("409")), where, "key in use")
        if "requestBody" in op:
            check("413" in responses, where, "413 payload_too_large")
        if "cursor" in params:
            check("limit" in params, where, "limit beside cursor")
            check("`invalid_cursor`" in str(responses.get("422")), where, "invalid_cursor")
            check("**Pagination:**" in op.get("description", ""), where, "pagination described")
    return found


def test_every_operation_is_documented(spec: dict[str, Any]) -> None:
    assert lint(spec) == []


def test_an_undocumented_route_fails(settings: Any) -> None:
    """What a route added without docs (say, a new domain's) is told, so the test above
    holds every later route to the same bar."""
    from app.main import create_app

    app = create_app(settings)

    @app.post("/v1/extra")
    def make_extra() -> dict[str, str]:
        """Make an extra."""
        return {}

    found = "\n".join(lint(app.openapi()))
    for lack in (
        "description",
        "exactly one tag",
        "security",
        "200: an example",
        "Idempotency-Key",
    ):
        assert f"POST /v1/extra: {lack}" in found, lack


def test_every_route_has_a_docstring_body(app: FastAPI) -> None:
    """The spec's descriptions come from the route functions: check them at the source."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            doc = inspect.cleandoc(route.endpoint.__doc__ or "")
            summary, _, body = doc.partition("\n\n")
            assert summary and body.strip(), f"{route.name}: docstring needs a summary and a body"


def test_credentials_follow_the_dependencies(spec: dict[str, Any]) -> None:
    paths = spec["paths"]
    assert spec["components"]["securitySchemes"] == {
        "apiKey": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sk_live_… or sk_test_…",
            "description": spec["components"]["securitySchemes"]["apiKey"]["description"],
        },
        "memberToken": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": spec["components"]["securitySchemes"]["memberToken"]["description"],
        },
    }
    key_only: list[dict[str, list[str]]] = [{"apiKey": []}]
    either: list[dict[str, list[str]]] = [{"apiKey": []}, {"memberToken": []}]
    assert paths["/v1/members"]["post"]["security"] == key_only
    assert paths["/v1/members"]["get"]["security"] == key_only
    assert paths["/v1/members/{member_id}"]["get"]["security"] == either
    assert paths["/v1/couples/{couple_id}/check-ins"]["post"]["security"] == either
    assert paths["/v1/couples/{couple_id}/deliveries"]["post"]["security"] == key_only
    assert (
        "`forbidden_for_member_token`"
        in (paths["/v1/members"]["get"]["responses"]["403"]["description"])
    )


def test_route_specific_and_common_codes_merge(spec: dict[str, Any]) -> None:
    accept = spec["paths"]["/v1/invites/{code}/accept"]["post"]["responses"]
    assert set(accept["422"]["content"][PROBLEM_JSON]["examples"]) >= {
        "cannot_pair_with_self",
        "member_id_required",
        "validation_error",
        "idempotency_key_reused",
    }
    assert set(accept["429"]["content"][PROBLEM_JSON]["examples"]) == {
        "too_many_attempts",
        "rate_limited",
    }
    assert set(accept["410"]["content"][PROBLEM_JSON]["examples"]) == {
        "invite_expired",
        "invite_revoked",
    }
