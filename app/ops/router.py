"""Operations endpoints, public by design: liveness, readiness and metrics."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from app.core import metrics
from app.core.database import Database
from app.core.migrations import migration_state

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    migrations: Literal["at_head", "behind", "unknown"]


@router.get("/healthz")
async def get_health() -> Health:
    """The process is alive (no dependency is checked)."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Readiness}})
async def get_readiness(request: Request) -> Response:
    """The database answers and its schema is at the newest migration."""
    database: Database = request.app.state.database
    state = await run_in_threadpool(migration_state, database.engine)
    ready = state == "at_head"
    body = Readiness(
        status="ready" if ready else "not_ready",
        database="unreachable" if state == "unknown" else "ok",
        migrations=state,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def get_metrics() -> Response:
    """Prometheus metrics: request counts and latency by route template."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
