"""A real HTTP receiver on loopback, a clock the tests move, and builders for webhook
endpoints and the events that feed them."""

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.webhooks.worker import Worker
from tests.conftest import TransactionalDatabase
from tests.factories import TenantWithKeys, make_member

ALL_EVENTS = [
    "member.erased",
    "couple.paired",
    "couple.dissolved",
    "check_in.created",
    "delivery.revealed",
    "connection.signal_raised",
]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


# What the receiver answers: status, headers, body.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records every request and answers from a
    script (then 200). `hold` makes the next request wait until `release()`."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    hold_next: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0
    in_flight: set[str] = field(default_factory=set)
    overlaps: list[str] = field(default_factory=list)
    # Answers by request when set (the script is used otherwise).
    respond: Callable[[Received], Answer] | None = None

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def hold(self) -> None:
        self.hold_next = True

    def release(self) -> None:
        self.released.set()

    def by_id(self) -> dict[str, list[Received]]:
        out: dict[str, list[Received]] = {}
        for r in self.received:
            out.setdefault(r.webhook_id, []).append(r)
        return out


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            webhook_id = record.headers.get("webhook-id", "")
            with receiver.lock:
                receiver.received.append(record)
                if webhook_id in receiver.in_flight:
                    receiver.overlaps.append(webhook_id)
                receiver.in_flight.add(webhook_id)
                hold = receiver.hold_next
                receiver.hold_next = False
                if receiver.respond is not None:
                    status, headers, payload = receiver.respond(record)
                elif receiver.script:
                    status, headers, payload = receiver.script.pop(0)
                else:
                    status, headers, payload = 200, {}, b"ok"
            try:
                if hold:
                    receiver.held.set()
                    receiver.released.wait(30)
                elif receiver.delay:
                    time.sleep(receiver.delay)
            finally:
                with receiver.lock:
                    receiver.in_flight.discard(webhook_id)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender is gone (a killed worker)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.release()
    server.shutdown()
    server.server_close()


class Clock:
    """The worker's clock: real time moved forward by what the test says."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    @property
    def now(self) -> datetime:
        return utcnow() + self.offset

    @now.setter
    def now(self, value: datetime) -> None:
        self.offset = value - utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(database: TransactionalDatabase, settings: Settings, clock: Clock) -> Iterator[Worker]:
    worker = Worker(database, settings, clock=clock, rng=random.Random(7))
    yield worker
    worker.close()


def create_endpoint(
    client: TestClient,
    tenant: TenantWithKeys,
    url: str,
    events: list[str] | None = None,
    *,
    livemode: bool = False,
) -> dict[str, Any]:
    response = client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "events": events or ALL_EVENTS},
        headers=tenant.headers(livemode=livemode),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def pair(
    client: TestClient, session: Session, tenant: TenantWithKeys, *, livemode: bool = False
) -> tuple[str, str, str]:
    """Two new members paired over the API: (couple id, member a, member b)."""
    key = tenant.headers(livemode=livemode)
    a = make_member(session, tenant_id=tenant.id, livemode=livemode, display_name="Alex Private")
    b = make_member(session, tenant_id=tenant.id, livemode=livemode, display_name="Blake Private")
    code = client.post("/v1/invites", json={"inviter_id": a.id}, headers=key).json()["code"]
    couple = client.post(f"/v1/invites/{code}/accept", json={"member_id": b.id}, headers=key)
    assert couple.status_code == 201, couple.text
    return str(couple.json()["id"]), a.id, b.id


def check_in(
    client: TestClient,
    tenant: TenantWithKeys,
    couple_id: str,
    member_id: str,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "member_id": member_id,
        "ratings": {"openness": 4, "listening": 4, "support": 4, "safety": 4},
        **fields,
    }
    response = client.post(
        f"/v1/couples/{couple_id}/check-ins", json=body, headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)
