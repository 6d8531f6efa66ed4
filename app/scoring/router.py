from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from app.auth.dependencies import PrincipalDep
from app.catalog import views as catalog_views
from app.core.cache import Caches
from app.core.errors import responses
from app.core.routing import ApiRoute, CachesDep, SessionDep, end_read
from app.core.security import Principal
from app.couples.dependencies import CoupleDep
from app.couples.exceptions import CoupleNotFound
from app.couples.models import Couple
from app.deliveries import service as deliveries_service
from app.scoring import model, service
from app.scoring.exceptions import DateOutOfRange
from app.scoring.schemas import (
    ConnectionPublic,
    DimensionPublic,
    PartnerPublic,
    RecommendationPublic,
    SeriesPointPublic,
    SeriesPublic,
    SignalPublic,
    TrendPublic,
    WindowPublic,
)

router = APIRouter(prefix="/v1", tags=["connection"], route_class=ApiRoute)

MAX_SERIES_DAYS = 366


@router.get(
    "/couples/{couple_id}/connection",
    response_model=ConnectionPublic,
    responses=responses(CoupleNotFound, DateOutOfRange),
)
def get_connection(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    caches: CachesDep,
    couple: CoupleDep,
    window_days: Annotated[int, Query(ge=7, le=365, description="Days the score covers.")] = 28,
    as_of: Annotated[
        date | None, Query(description="Local date; default the couple's today.")
    ] = None,
) -> Response:
    """Retrieve the connection score

    The couple's connection score (0–100) over `window_days` up to `as_of`, with its trend,
    per-dimension scores and gaps, each partner's participation, signals worth attention and
    prompts recommended for the weakest dimensions. A self-reflection figure, not a diagnosis;
    `status` says when there is too little data.
    """
    today = service.couple_today(session, couple)
    as_of = as_of or today
    if as_of > today:
        raise DateOutOfRange(
            f"as_of {as_of} is after the couple's today ({today}).", pointer="#/query/as_of"
        )
    # The answer is cached per process under everything it is computed from: the couple's
    # check-ins in the window (count, newest change, newest date), the prompts it was given
    # lately, and the catalog versions (scopes). Any change to one of them is a new key.
    start = as_of - timedelta(days=model.trend_days(window_days) - 1)
    key = (
        "connection",
        couple.id,
        principal.livemode,
        as_of,
        window_days,
        service.answer_fingerprint(session, couple.id, start, as_of),
        model.MODEL_VERSION,
    )

    def build(s: Session) -> bytes:
        recent = deliveries_service.recent_prompt_ids(s, couple.id)
        return _connection(s, caches, principal, couple, as_of, window_days, recent)

    body: bytes = caches.connections.get_or_build(
        key, catalog_views.scopes(principal), build, session
    )
    end_read(request)  # the answer is bytes: nothing is left to load
    return Response(body, media_type="application/json")


def _connection(
    session: Session,
    caches: Caches,
    principal: Principal,
    couple: Couple,
    as_of: date,
    window_days: int,
    recent: frozenset[str],
) -> bytes:
    result = service.connection(session, couple, as_of, window_days)
    recommendations = deliveries_service.recommend(
        catalog_views.view(caches, session, principal),
        model.weakest_dimensions(result),
        seed=f"{couple.id}:{as_of}",
        recent=recent,
    )
    answer = ConnectionPublic(
        couple_id=couple.id,
        as_of=as_of,
        score=result.score,
        status=result.status,
        trend=TrendPublic(
            direction=result.trend.direction,
            slope_per_week=result.trend.slope_per_week,
            confidence=result.trend.confidence,
            method=result.trend.method,
        ),
        dimensions={
            key: DimensionPublic(
                score=d.score, direction=d.direction, slope_per_week=d.slope_per_week, gap=d.gap
            )
            for key, d in result.dimensions.items()
        },
        partners=[PartnerPublic.model_validate(p, from_attributes=True) for p in result.partners],
        signals=[SignalPublic.model_validate(s, from_attributes=True) for s in result.signals],
        recommendations=[
            RecommendationPublic(prompt=prompt, dimension=dimension, reason=reason)
            for prompt, dimension, reason in recommendations
        ],
        data_points=result.data_points,
        window=WindowPublic(start=result.window_start, end=result.window_end, days=window_days),
        model_version=result.model_version,
        livemode=couple.livemode,
    )
    return answer.model_dump_json(by_alias=True).encode()


@router.get(
    "/couples/{couple_id}/connection/series",
    responses=responses(CoupleNotFound, DateOutOfRange),
)
def get_connection_series(
    session: SessionDep,
    couple: CoupleDep,
    granularity: Annotated[
        Literal["day", "week"], Query(description="One point per day, or per week (Monday).")
    ] = "day",
    date_from: Annotated[
        date | None,
        Query(alias="from", description="First local date; default 90 days or 52 weeks back."),
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="Last local date; default the couple's today.")
    ] = None,
) -> SeriesPublic:
    """Retrieve the connection series

    Points for a chart: each day's or week's score, the smoothed score and the number of
    check-ins, between `from` and `to` (at most 366 days).
    """
    end = date_to or service.couple_today(session, couple)
    start = date_from or end - timedelta(days=89 if granularity == "day" else 52 * 7 - 1)
    if start > end:
        raise DateOutOfRange("`from` is after `to`.", pointer="#/query/from")
    if (end - start).days >= MAX_SERIES_DAYS:
        raise DateOutOfRange(
            f"A series spans at most {MAX_SERIES_DAYS} days.", pointer="#/query/from"
        )
    points = service.series(session, couple, start, end, granularity)
    return SeriesPublic(
        couple_id=couple.id,
        granularity=granularity,
        start=start,
        end=end,
        points=[SeriesPointPublic.model_validate(p, from_attributes=True) for p in points],
        model_version=model.MODEL_VERSION,
        livemode=couple.livemode,
    )
