"""The delivery worker: takes due deliveries from the outbox, signs and POSTs them, records
each attempt, and recomputes couples' signals after their check-ins. Run it as `rapport
worker` (as many as you like, at once) or in-process beside `rapport serve`.

A worker never holds a transaction while it waits on the network: it claims a delivery
(committed), sends it, then records the attempt (committed). Killed in between, it leaves
the delivery claimed until the lease ends; then any worker sends it again, with the same
`webhook-id`."""

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.config import Settings
from app.core.database import Database
from app.core.db import utcnow
from app.core.errors import AppError
from app.couples.models import Couple
from app.scoring import service as scoring_service
from app.webhooks import service, signing
from app.webhooks.models import CoupleSignalState, WebhookEvent

logger = logging.getLogger("rapport.webhooks")

USER_AGENT = "Rapport-Webhooks/1.0"
SIGNAL_WINDOW_DAYS = 28
PRUNE_EVERY = timedelta(hours=1)
MAX_STEPS_PER_RUN = 10_000

Clock = Callable[[], datetime]


@dataclass
class Report:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    lost_leases: int = 0
    signal_checks: int = 0
    signals_raised: int = 0
    pruned_events: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retrying": self.retrying,
            "failed": self.failed,
            "lost_leases": self.lost_leases,
            "signal_checks": self.signal_checks,
            "signals_raised": self.signals_raised,
            "pruned_events": self.pruned_events,
        }


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.lease = timedelta(seconds=settings.webhook_lease_seconds)
        self.production = settings.environment == "production"
        timeout = settings.webhook_timeout_seconds
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
        )
        self._last_prune: datetime | None = None

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        """One committed unit of work (a write transaction)."""
        session = self.database.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    # ---- delivering --------------------------------------------------------------------

    def deliver_one(self, report: Report) -> bool:
        """Claim, send and record one due delivery; False when none is due."""
        with self._unit() as session:
            jobs = service.claim(session, self.clock(), self.lease)
        if not jobs:
            return False
        job = jobs[0]
        if not job.endpoint_enabled:
            with self._unit() as session:
                service.give_up(session, job, "The endpoint was disabled.")
            report.failed += 1
            return True
        outcome = self.send(job)
        with self._unit() as session:
            status = service.finish(session, job, outcome, self.clock(), self.rng)
        if status is None:
            report.lost_leases += 1
        elif status == "delivered":
            report.delivered += 1
        elif status == "pending":
            report.retrying += 1
        else:
            report.failed += 1
        return True

    def send(self, job: service.Job) -> service.Outcome:
        attempted_at = self.clock()
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            service.check_url(self.settings, job.url)
        except AppError as exc:
            return service.Outcome(attempted_at, elapsed(), error=exc.detail)
        # The real time, whatever the scheduling clock says: receivers check it.
        headers = signing.headers(job.secrets, job.event_id, int(time.time()), job.payload)
        try:
            with self.client.stream(
                "POST", job.url, content=job.payload.encode(), headers=headers
            ) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= service.RESPONSE_BODY_LIMIT:
                        break
                retry_after = (
                    _retry_after(response.headers.get("retry-after"), attempted_at)
                    if response.status_code in (429, 503)
                    else None
                )
                return service.Outcome(
                    attempted_at,
                    elapsed(),
                    status_code=response.status_code,
                    body=bytes(body).decode("utf-8", errors="replace"),
                    retry_after=retry_after,
                )
        except httpx.HTTPError as exc:
            return service.Outcome(
                attempted_at, elapsed(), error=f"{type(exc).__name__}: {exc}".strip(": ")
            )

    # ---- signals -----------------------------------------------------------------------

    def check_signals_one(self, report: Report) -> bool:
        """Recompute the couple's signals after one check-in; False when none is waiting."""
        event_id: str | None = None
        try:
            with self._unit() as session:
                event = session.exec(
                    select(WebhookEvent)
                    .where(col(WebhookEvent.signals_pending))
                    .order_by(col(WebhookEvent.created_at))
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if event is None:
                    return False
                event_id = event.id
                taken = session.exec(
                    update(WebhookEvent)
                    .where(col(WebhookEvent.id) == event_id, col(WebhookEvent.signals_pending))
                    .values(signals_pending=False)
                )
                if taken.rowcount == 1:
                    report.signals_raised += raise_signals(session, event)
                    report.signal_checks += 1
        except Exception:
            if event_id is None:
                raise
            # A bug here must not stop deliveries nor spin on one event: log and drop it.
            logger.exception("signal check failed", extra={"event_id": event_id})
            with self._unit() as session:
                session.exec(
                    update(WebhookEvent)
                    .where(col(WebhookEvent.id) == event_id)
                    .values(signals_pending=False)
                )
        return True

    # ---- running -----------------------------------------------------------------------

    def prune(self, report: Report) -> None:
        now = self.clock()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        with self._unit() as session:
            report.pruned_events += service.prune(session, now - service.RETENTION)

    def run_once(self, report: Report | None = None) -> Report:
        """Everything due now: signal checks first (they may add deliveries), then sends."""
        report = report or Report()
        self.prune(report)
        steps = 0
        while steps < MAX_STEPS_PER_RUN and self.check_signals_one(report):
            steps += 1
        while steps < MAX_STEPS_PER_RUN and self.deliver_one(report):
            steps += 1
        return report

    def run(self, stop: threading.Event) -> Report:
        """Until `stop` is set: work, and when idle, poll again after a short wait."""
        report = Report()
        logger.info("webhook worker started")
        while not stop.is_set():
            try:
                self.run_once(report)
            except Exception:
                logger.exception("webhook worker step failed")
            stop.wait(self.settings.webhook_poll_seconds)
        logger.info("webhook worker stopped", extra=report.as_dict())
        return report


def raise_signals(session: Session, event: WebhookEvent) -> int:
    """Compare the couple's signals now with those last recorded; each newly raised code
    becomes a `connection.signal_raised` event (ids, code and severity only)."""
    couple = session.get(Couple, str(event.data.get("couple_id")))
    if couple is None or couple.dissolved_at is not None:
        return 0
    result = scoring_service.connection(
        session, couple, scoring_service.couple_today(session, couple), SIGNAL_WINDOW_DAYS
    )
    current = {signal.code: signal.severity for signal in result.signals}
    state = _locked_state(session, couple.id)
    raised = sorted(set(current) - set(state.codes))
    for code in raised:
        service.record(
            session,
            tenant_id=couple.tenant_id,
            livemode=couple.livemode,
            type="connection.signal_raised",
            data={"couple_id": couple.id, "code": code, "severity": current[code]},
        )
    state.codes = sorted(current)
    state.updated_at = utcnow()
    session.add(state)
    session.flush()
    return len(raised)


def _locked_state(session: Session, couple_id: str) -> CoupleSignalState:
    """The couple's signal state under a row lock, created when missing, so two workers
    checking one couple at once raise each code once."""
    statement = (
        select(CoupleSignalState).where(CoupleSignalState.couple_id == couple_id).with_for_update()
    )
    state = session.exec(statement).first()
    if state is None:
        try:
            with session.begin_nested():
                session.add(CoupleSignalState(couple_id=couple_id, codes=[]))
        except IntegrityError:
            pass  # another worker created it first; read theirs under the lock
        state = session.exec(statement).one()
    return state


def start_in_thread(database: Database, settings: Settings) -> Callable[[], None]:
    """A worker on a daemon thread (what `rapport serve` runs); returns its stop."""
    stop = threading.Event()
    worker = Worker(database, settings)

    def run() -> None:
        try:
            worker.run(stop)
        finally:
            worker.close()

    thread = threading.Thread(target=run, name="webhook-worker", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=settings.webhook_timeout_seconds + 5)

    return halt
