"""Operations endpoints, public by design: liveness, readiness and metrics."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from app.core import metrics
from app.core.database import Database
from app.core.migrations import migration_state

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    migrations: Literal["at_head", "behind", "unknown"]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready", "database": "ok", "migrations": "at_head"}]
        }
    )


METRICS_EXAMPLE = """\
# HELP rapport_http_requests_total HTTP requests answered, by method, route template and status.
# TYPE rapport_http_requests_total counter
rapport_http_requests_total{method="GET",route="/v1/prompts",status="200"} 42.0
"""


@router.get("/healthz")
async def get_health() -> Health:
    """Check that the process is alive

    Answers `{"status": "ok"}` while the process serves requests; nothing else (not even the
    database) is checked, so a liveness probe never restarts a healthy process for a slow
    dependency.
    """
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        503: {
            "model": Readiness,
            "description": "Not ready: the body names the database or migrations state.",
            "content": {
                "application/json": {
                    "example": {"status": "not_ready", "database": "ok", "migrations": "behind"}
                }
            },
        }
    },
)
async def get_readiness(request: Request) -> Response:
    """Check that the service is ready

    200 when the database answers and its schema is at the newest migration; 503 with the same
    body shape, naming what is not ready, otherwise. Point a load balancer's readiness probe here.
    """
    database: Database = request.app.state.database
    state = await run_in_threadpool(migration_state, database.engine)
    ready = state == "at_head"
    body = Readiness(
        status="ready" if ready else "not_ready",
        database="unreachable" if state == "unknown" else "ok",
        migrations=state,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format.",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": METRICS_EXAMPLE}},
        }
    },
)
async def get_metrics() -> Response:
    """Read Prometheus metrics

    Request counts and latency histograms by method, route template and status, in the
    Prometheus text format, for a scraper on the operators' network.
    """
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
