"""The /v1 API: every domain router, behind authentication (secure by default).

Each domain router carries its full `/v1/...` prefix itself: FastAPI keeps included routers
nested, and a route's own `path` is what metrics and logs report as its template."""

from fastapi import APIRouter, Depends, FastAPI

from app.auth.dependencies import authenticate
from app.catalog.router import router as catalog_router
from app.checkins.router import router as checkins_router
from app.couples.router import router as couples_router
from app.deliveries.router import router as deliveries_router
from app.members.router import router as members_router
from app.scoring.router import router as scoring_router
from app.webhooks.router import router as webhooks_router

ROUTERS: tuple[APIRouter, ...] = (
    members_router,
    catalog_router,
    couples_router,
    checkins_router,
    deliveries_router,
    scoring_router,
    webhooks_router,
)


def include_api(app: FastAPI) -> None:
    """Every domain router, straight onto the app (each level of nesting is a routing pass
    on every request), behind `authenticate`, which also counts the rate limit. The problems
    it adds to each route are documented from this dependency by app.auth.openapi."""
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(authenticate)])
