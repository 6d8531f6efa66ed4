"""The application factory: settings, database, middleware, error handlers, routers."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.responses import Response

from app import models  # noqa: F401  (registers every table before the first query)
from app.api import include_api
from app.auth import openapi as auth_openapi
from app.core import openapi as spec
from app.core.cache import Caches
from app.core.config import Settings, get_settings
from app.core.database import Database
from app.core.db import make_engine
from app.core.docs import install_docs
from app.core.errors import DatabaseUnavailable, install_error_handlers, problem_response
from app.core.idempotency import Replay
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.core.ratelimit import make_limiter
from app.ops.router import router as ops_router

API_DESCRIPTION = """
Rapport is the API underneath couples apps: prompt catalogs grounded in how emotional
intimacy is recognized, built and improved; pairing through invite codes; daily check-ins
on seven dimensions of connection; and an explainable connection score with its trend.

Authenticate with `Authorization: Bearer` and either a tenant secret key (`apiKey`:
`sk_live_…`, `sk_test_…`) from your backend, or a member token (`memberToken`) minted for a
mobile app; each operation says which it takes. Errors are `application/problem+json` with a
stable `code`, listed per status on every operation. Every `POST` accepts `Idempotency-Key`
(a retry with the same key and body replays the first answer, with `Idempotent-Replayed:
true`). Lists take `limit` and `cursor` and answer `next_cursor`. Every answer carries
`X-Request-ID` and the rate-limit headers `RateLimit-Policy` and `RateLimit`; 429 and 503
carry `Retry-After`. Start with the integration guide, `docs/integration.md`.
"""

TAGS = [
    {
        "name": "catalog",
        "description": "Conversation prompts, activities and reflections for couples, grounded "
        "in how emotional intimacy is recognized, built and improved.",
    },
    {
        "name": "pairing",
        "description": "Invite codes that pair two members into a couple.",
    },
    {"name": "couples", "description": "Couples: read them, and dissolve them."},
    {
        "name": "check-ins",
        "description": "Each partner's ratings of seven dimensions of connection, by local day.",
    },
    {
        "name": "deliveries",
        "description": "Prompts given to a couple, and both partners' answers (mutual reveal).",
    },
    {
        "name": "connection",
        "description": "The couple's connection score, its trend, signals and recommended "
        "prompts: a self-reflection figure, not a diagnosis (see docs/scoring.md).",
    },
    {"name": "members", "description": "Your users, as Rapport knows them, and their tokens."},
    {
        "name": "webhooks",
        "description": "Endpoints that receive events (Standard Webhooks v1, ids only), "
        "and every delivery and attempt made to them (see docs/webhooks.md).",
    },
    {"name": "operations", "description": "Health, readiness and metrics for operators."},
]


OPENAPI_URL = "/openapi.json"


def operation_id(route: APIRoute) -> str:
    """`create_member` → `createMember`: stable, and natural in generated SDKs."""
    first, *rest = route.name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    database = database or Database(make_engine(settings))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # What start-up made (modules, the app, its routes) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise walk all of it every
        # few seconds under load and show up as 50–100 ms stalls at p99 (docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        yield
        gc.unfreeze()
        database.engine.dispose()

    docs = settings.serve_docs
    app = FastAPI(
        title="Rapport API",
        version="1.0.0",
        summary="Prompts, pairing, check-ins and a connection score for couples apps.",
        description=API_DESCRIPTION,
        openapi_tags=TAGS,
        license_info={"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
        # Relative: the API is wherever this document was fetched from, so the docs page's
        # "Try it out" calls the server that serves it, on any host or port.
        servers=[{"url": "/", "description": "The server that serves this document"}],
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL if docs else None,
    )
    if docs:
        install_docs(app, openapi_url=OPENAPI_URL)
    app.state.settings = settings
    app.state.database = database
    app.state.serialize_writes = database.engine.dialect.name == "sqlite"
    app.state.caches = Caches.create(lambda: database.session(write=False), settings)
    app.state.rate_limiter = make_limiter(
        settings.rate_limit_storage_url,
        settings.rate_limit_key_per_minute,
        settings.rate_limit_token_per_minute,
    )

    install_error_handlers(app)

    async def replay(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Replay)
        return Response(
            exc.body,
            status_code=exc.status,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )

    async def database_busy(request: Request, exc: Exception) -> Response:
        return problem_response(
            request,
            status=DatabaseUnavailable.status,
            code=DatabaseUnavailable.code,
            title=DatabaseUnavailable.title,
            detail=DatabaseUnavailable.example_detail(),
            headers={"Retry-After": "1"},
        )

    app.add_exception_handler(Replay, replay)
    app.add_exception_handler(OperationalError, database_busy)

    app.include_router(ops_router)
    include_api(app)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy"],
        )
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)

    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = spec.finish(app, original_openapi(), auth_openapi.describe)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
