"""The /v1 API: every domain router, behind authentication (secure by default).

Each domain router carries its full `/v1/...` prefix itself: FastAPI keeps included routers
nested, and a route's own `path` is what metrics and logs report as its template."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import authenticate, enforce_rate_limit
from app.catalog.router import router as catalog_router
from app.checkins.router import router as checkins_router
from app.couples.router import router as couples_router
from app.deliveries.router import router as deliveries_router
from app.members.router import router as members_router
from app.scoring.router import router as scoring_router
from app.webhooks.router import router as webhooks_router

# The problems authentication and rate limits add to each route are documented from these
# dependencies by app.auth.openapi.
api_router = APIRouter(dependencies=[Depends(authenticate), Depends(enforce_rate_limit)])
api_router.include_router(members_router)
api_router.include_router(catalog_router)
api_router.include_router(couples_router)
api_router.include_router(checkins_router)
api_router.include_router(deliveries_router)
api_router.include_router(scoring_router)
api_router.include_router(webhooks_router)
