"""The route class every /v1 route uses: one session and one transaction per request,
committed only when the answer is a success, with the idempotency record in the same
transaction; and the dependencies that hand routes their session."""

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.core import idempotency
from app.core.cache import Caches
from app.core.config import Settings
from app.core.database import Database
from app.core.errors import ValidationFailed
from app.core.security import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> Session:
    """The request's session, opened on first use (a route that needs none opens none)."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        session = _database(request).session(write=request.method not in SAFE_METHODS)
        request.state.session = session
    return session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def caches(request: Request) -> Caches:
    found: Caches = request.app.state.caches
    return found


async def get_caches(request: Request) -> Caches:
    return caches(request)


CachesDep = Annotated[Caches, Depends(get_caches)]


def end_read(request: Request) -> None:
    """For a read whose answer is fully built (bytes, nothing left to load): end its
    session now, in the thread the route runs in, so finishing the request needs no thread
    hop of its own. Closing rolls back the read-only transaction."""
    session: Session | None = getattr(request.state, "session", None)
    if session is not None and request.method in SAFE_METHODS:
        session.close()
        request.state.session = None


def on_failure(request: Request, write: Callable[[Session], None]) -> None:
    """Have `write` run in its own transaction once the request's own has rolled back: for
    what an error must still leave behind (a failed attempt counted against a guesser).
    Running it after the rollback also keeps SQLite's single write lock free of nesting."""
    callbacks: list[Callable[[Session], None]] = getattr(request.state, "on_failure", [])
    callbacks.append(write)
    request.state.on_failure = callbacks


def _finish(request: Request, response: Response | None) -> None:
    session: Session | None = getattr(request.state, "session", None)
    claimed: idempotency.Claim | None = getattr(request.state, "idempotency_claim", None)
    success = response is not None and response.status_code < 400
    try:
        if session is not None and success:
            if claimed is not None and response is not None:
                idempotency.complete(session, claimed, response.status_code, bytes(response.body))
                claimed = None
            session.commit()
            caches(request).versions.learn_commit(session)
        elif session is not None:
            session.rollback()
    finally:
        if session is not None:
            session.close()
            request.state.session = None
        if claimed is not None:
            with _database(request).session(write=True) as release_session:
                idempotency.release(release_session, claimed)
        if not success:
            for write in getattr(request.state, "on_failure", []):
                with _database(request).session(write=True) as failure_session:
                    write(failure_session)
                    failure_session.commit()


def _write_gate(request: Request) -> asyncio.Lock | None:
    """On SQLite (one writer at a time), a process's writing requests take turns here, on
    the event loop, before any of their work reaches a thread. Without it, threads blocked
    on the write lock fill the pool while the request holding the lock waits for a thread to
    finish in: seconds-long stalls under load. PostgreSQL locks rows, and needs no gate."""
    if request.method in SAFE_METHODS or not request.app.state.serialize_writes:
        return None
    loop = asyncio.get_running_loop()
    found: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = getattr(
        request.app.state, "write_gate", None
    )
    if found is None or found[0] is not loop:
        found = (loop, asyncio.Lock())
        request.app.state.write_gate = found
    return found[1]


async def _finish_off_loop(request: Request, response: Response | None) -> None:
    """Finish in the thread pool when there is database work left; a request that opened no
    session and claimed nothing (a cached read) has none, and skips the thread hop."""
    state = request.state
    if (
        getattr(state, "session", None) is None
        and getattr(state, "idempotency_claim", None) is None
        and not getattr(state, "on_failure", None)
    ):
        return
    await run_in_threadpool(_finish, request, response)


async def claim_idempotency_key(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            min_length=1,
            max_length=idempotency.MAX_KEY_LENGTH,
            description="Makes the POST safe to retry: the same key and body within 24 h "
            "replays the first answer with `Idempotent-Replayed: true`.",
        ),
    ] = None,
) -> None:
    if idempotency_key is None:
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - every POST is authenticated first
        return
    fp = idempotency.fingerprint(request.method, request.url.path, await request.body())

    def _claim() -> idempotency.Claim:
        with _database(request).session(write=False) as session:
            idempotency.check_existing(session, principal, idempotency_key, fp)
        with _database(request).session(write=True) as session:
            return idempotency.claim(session, principal, idempotency_key, fp)

    request.state.idempotency_claim = await run_in_threadpool(_claim)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def _refuse_nul_characters(request: Request) -> None:
    """No text may hold NUL: PostgreSQL cannot store it, so refuse it everywhere alike."""
    # A NUL can reach the query only percent-encoded, and the path only decoded.
    found = "\x00" in request.scope["path"] or b"%00" in request.scope["query_string"]
    if not found and request.method not in SAFE_METHODS:
        body = await request.body()
        if b"\x00" in body:
            found = True
        elif b"u0000" in body.lower():  # only then is it worth decoding to look closer
            try:
                found = _has_nul(json.loads(body))
            except ValueError:
                found = False  # not JSON: the body's own validation answers
    if found:
        raise ValidationFailed("Text may not contain NUL (U+0000) characters.", pointer="#/")


def _query_names(dependant: Dependant) -> set[str]:
    """Every query parameter a route reads, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        if "POST" in methods:
            kwargs["dependencies"] = [
                *(kwargs.get("dependencies") or []),
                Depends(claim_idempotency_key),
            ]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = _query_names(self.dependant)

        async def run(request: Request) -> Response:
            await _refuse_nul_characters(request)
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                # Like unknown body fields: refused, so a typo never silently does nothing.
                raise ValidationFailed(
                    f"Unknown query parameter {unknown[0]!r}.", pointer=f"#/query/{unknown[0]}"
                )
            gate = _write_gate(request)
            if gate is None:
                return await _handle(request)
            async with gate:
                return await _handle(request)

        async def _handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except BaseException:
                await _finish_off_loop(request, None)
                raise
            await _finish_off_loop(request, response)
            return response

        return run
