"""Cursor pagination shared by every list: keyset on (sort column, id), so pages stay
stable while rows are added, and a cursor reveals nothing but the last item's position."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, cast

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Mapped, QueryableAttribute
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

Order = Literal["asc", "desc"]

T = TypeVar("T")
M = TypeVar("M")
P = TypeVar("P")


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="How many items, 1 to 100.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="`next_cursor` from the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"
    title = "Invalid cursor"


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first unless the operation says otherwise."""

    data: list[T] = Field(description="This page's items (at most `limit`).")
    has_more: bool = Field(description="Whether more items follow this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to fetch the next page; null on the last page."
    )


def encode_cursor(value: Any, row_id: str) -> str:
    if isinstance(value, datetime | date):
        raw = ["t" if isinstance(value, datetime) else "d", value.isoformat(), row_id]
    else:
        raw = ["v", value, row_id]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(row_id, str):
            raise ValueError
        if kind == "t":
            return datetime.fromisoformat(value), row_id
        if kind == "d":
            return date.fromisoformat(value), row_id
        if kind == "v" and isinstance(value, str | int):
            return value, row_id
        raise ValueError
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise InvalidCursor("The cursor is not one this API gave out.", pointer="#/cursor") from exc


def paginate(
    session: Session,
    statement: SelectOfScalar[M],
    *,
    sort_column: Mapped[Any],
    id_column: Mapped[str],
    page: PageParams,
    to_public: Callable[[M], P],
    order: Order = "desc",
) -> Page[P]:
    """Run `statement` one page at a time, newest first unless `order="asc"`."""
    if page.cursor:
        value, row_id = decode_cursor(page.cursor)
        after: ColumnElement[bool]
        if order == "desc":
            after = or_(sort_column < value, and_(sort_column == value, id_column < row_id))
        else:
            after = or_(sort_column > value, and_(sort_column == value, id_column > row_id))
        statement = statement.where(after)
    if order == "desc":
        statement = statement.order_by(sort_column.desc(), id_column.desc())
    else:
        statement = statement.order_by(sort_column.asc(), id_column.asc())
    rows: Sequence[M] = session.exec(statement.limit(page.limit + 1)).all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        sort_key = cast(QueryableAttribute[Any], sort_column).key
        id_key = cast(QueryableAttribute[str], id_column).key
        next_cursor = encode_cursor(getattr(last, sort_key), getattr(last, id_key))
    return Page[P](data=[to_public(r) for r in rows], has_more=has_more, next_cursor=next_cursor)


__all__ = ["Page", "PageDep", "PageParams", "decode_cursor", "encode_cursor", "paginate", "select"]
