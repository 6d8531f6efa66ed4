"""The floor: the least a FastAPI + SQLModel service does for the same database work as the
real one, so the benchmark can say what Rapport's own code costs on top of it.

    DATABASE_URL=... uvicorn --factory bench.floor:create_app

- `GET /read/{member_id}`: one row by primary key (what an authenticated read costs at least);
- `POST /insert`: one check-in-sized row inserted and committed;
- `GET /window/{couple_id}`: the connection endpoint's window query (the couple's check-ins
  over the trend window, by the same index), returned as JSON.

It uses the same engine settings as the service (pool, SQLite pragmas, `BEGIN IMMEDIATE` for
writes), and plain `def` endpoints with a session each, as SQLModel's tutorial does.
"""

import os
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import SecretStr
from sqlmodel import Field, Session, SQLModel, col, select

from app.checkins.models import CheckIn
from app.core.config import Settings
from app.core.db import make_engine, utcnow, write_bind
from app.members.models import Member
from app.scoring import model

WINDOW_DAYS = model.trend_days(28)


class FloorInsert(SQLModel):
    """What a client posts: a check-in's worth of fields."""

    member_id: str = Field(max_length=40)
    openness: int
    listening: int
    vulnerability: int
    support: int
    safety: int
    appreciation: int
    quality_time: int
    closeness: int
    note: str


class FloorRow(FloorInsert, table=True):
    __tablename__ = "bench_floor_rows"

    id: int | None = Field(default=None, primary_key=True)
    local_date: date


def create_app() -> FastAPI:
    settings = Settings(
        environment="test",
        database_url=os.environ["DATABASE_URL"],
        secret_key=SecretStr("floor-" + "s" * 40),
        token_secret=SecretStr("floor-" + "t" * 40),
        encryption_key=SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
    )
    engine = make_engine(settings)
    writer = write_bind(engine)
    FloorRow.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
    app = FastAPI()

    @app.get("/read/{member_id}")
    def read(member_id: str) -> dict[str, Any]:
        with Session(engine) as session:
            member = session.get(Member, member_id)
            if member is None:
                raise HTTPException(404)
            return {"id": member.id, "display_name": member.display_name}

    @app.post("/insert", status_code=201)
    def insert(body: FloorInsert) -> dict[str, Any]:
        with Session(writer) as session:
            row = FloorRow(local_date=utcnow().date(), **body.model_dump())
            session.add(row)
            session.commit()
            return {"id": row.id}

    @app.get("/window/{couple_id}")
    def window(couple_id: str) -> list[dict[str, Any]]:
        end = utcnow().date()
        start = end - timedelta(days=WINDOW_DAYS - 1)
        statement = select(  # type: ignore[call-overload]
            col(CheckIn.member_id),
            col(CheckIn.local_date),
            *(col(getattr(CheckIn, d)) for d in model.DIMENSIONS),
            col(CheckIn.closeness),
            col(CheckIn.moments),
        ).where(
            CheckIn.couple_id == couple_id,
            col(CheckIn.local_date) >= start,
            col(CheckIn.local_date) <= end,
        )
        with Session(engine) as session:
            return [row._asdict() for row in session.exec(statement)]

    return app
