"""Per-caller request limits in fixed one-minute windows, with the IETF draft headers
(`RateLimit-Policy`, `RateLimit`) on every answer and 429 `rate_limited` past the limit.

Counts live in the process by default; with RATE_LIMIT_STORAGE_URL naming Redis they live
there, so every worker and machine shares them. If Redis cannot be reached the request is
let through and a warning logged: an outage of the limiter should not take the API down.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

from app.core.errors import AppError
from app.core.security import Principal

logger = logging.getLogger("rapport.ratelimit")

WINDOW_SECONDS = 60
POLICY = "default"


def now() -> float:
    """The limiter's clock (a seam, so tests can pin it without touching `time`)."""
    return time.time()


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


@dataclass(frozen=True)
class Decision:
    limit: int
    remaining: int
    reset_seconds: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.limit};w={WINDOW_SECONDS}',
            "RateLimit": f'"{POLICY}";r={self.remaining};t={self.reset_seconds}',
        }


class Counter(Protocol):
    def hit(self, key: str, window: int) -> int:
        """Count one request for `key` in minute-window `window`; answer the new count."""


class MemoryCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            seen_window, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen_window == window else 1
            self._counts[key] = (window, count)
            if len(self._counts) > 100_000:  # drop callers from past windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            return count


class RedisCounter:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def hit(self, key: str, window: int) -> int:
        name = f"rapport:rl:{key}:{window}"
        pipe = self._client.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
        return int(count)


class RateLimiter:
    def __init__(self, counter: Counter, key_default: int, token_default: int) -> None:
        self.counter = counter
        # An in-process counter answers at once; a shared one is a network call.
        self.in_process = isinstance(counter, MemoryCounter)
        self.key_default = key_default
        self.token_default = token_default

    def limit_for(self, principal: Principal) -> int:
        if principal.is_member:
            return self.token_default
        if principal.rate_limit_per_minute is not None:
            return principal.rate_limit_per_minute
        return self.key_default

    def check(self, principal: Principal, at: float | None = None) -> Decision | None:
        """None when the caller has no limit (0); else the decision, allowed or not."""
        limit = self.limit_for(principal)
        if limit <= 0:
            return None
        at = now() if at is None else at
        window = int(at // WINDOW_SECONDS)
        reset = WINDOW_SECONDS - int(at % WINDOW_SECONDS)
        subject = (
            f"member:{principal.member_id}" if principal.is_member else f"key:{principal.key_id}"
        )
        try:
            count = self.counter.hit(subject, window)
        except redis.RedisError:
            logger.warning("rate limit storage unreachable; request let through")
            return None
        return Decision(limit, max(limit - count, 0), reset, count <= limit)


def make_limiter(storage_url: str, key_default: int, token_default: int) -> RateLimiter:
    counter: Counter = RedisCounter(storage_url) if storage_url else MemoryCounter()
    return RateLimiter(counter, key_default, token_default)
