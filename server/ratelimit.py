"""Flood limits: a token bucket per device token, and a login throttle per username.

Keyed on who is calling, never on the IP address: a crew's phones share one NAT address, and an
IP limit would lock out the whole crew for one noisy phone (docs/decisions.md D16).

Both live in the process's memory. With several server processes each has its own buckets, so a
caller can get up to N times the limits through N processes; that is acceptable for a flood guard
(its job is to stop a runaway client or a stuck retry loop, not to meter usage), and for the login
throttle Argon2's cost still bounds guessing to a few attempts per second per process. A restart
forgets the buckets, which only ever favours the caller.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from litestar.types import ASGIApp, Receive, Scope, Send

from server.domain.errors import DomainError, fail

# A phone syncs every 15 s (a push, a pull or two, a few blob HEAD/PUTs) and a desk page loads a
# handful of lists: a few requests a minute each. 240 at once and 4 per second sustained is far
# above that and still stops a client stuck in a tight retry loop within a minute.
DEVICE_BURST = 240
DEVICE_PER_SECOND = 4.0
# Beyond this many tracked keys, full buckets are forgotten (a full bucket is the default state).
MAX_KEYS = 50_000

LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=15)


def throttled(retry_after: float) -> DomainError:
    seconds = max(1, math.ceil(retry_after))
    return fail("request.throttled", "请求过于频繁，请稍后再试", "Too many requests; try again later",
                kind="throttled", retry_after=seconds)


class DeviceRateLimiter:
    """Token buckets keyed on the device token id: `burst` requests at once, `per_second` sustained."""

    def __init__(self, burst: int = DEVICE_BURST, per_second: float = DEVICE_PER_SECOND,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Spend one token. Returns 0 if allowed, else the seconds until a token is available."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.per_second
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        for k, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.per_second >= self.burst:
                del self._buckets[k]


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Runs after authentication: `scope["auth"]` is the caller's device id. Public routes are not keyed.

    The limiter is `app.state.rate_limiter` (one per app, shared by every route's middleware stack).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        device_id = scope.get("auth") if scope["type"] == "http" else None
        if isinstance(device_id, str):
            limiter: DeviceRateLimiter = scope["app"].state.rate_limiter
            wait = limiter.take(device_id)
            if wait > 0:
                raise throttled(wait)
        await app(scope, receive, send)

    return middleware


class LoginThrottle:
    """At most `max_failures` wrong passwords per username in a sliding `window`; then 429 until the
    oldest failure leaves the window. A correct password clears the count.

    Keyed on the username typed (whether or not it exists, so the answer reveals nothing) and on the
    database, since one process may serve several (tests do). Phones already logged in keep working:
    a lock only delays new logins of that username.
    """

    def __init__(self, max_failures: int = LOGIN_MAX_FAILURES, window: timedelta = LOGIN_WINDOW,
                 max_keys: int = MAX_KEYS) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[tuple[str, str], deque[datetime]] = {}

    @staticmethod
    def key(scope: str, username: str) -> tuple[str, str]:
        return scope, username.strip().casefold()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and now - q[0] >= self.window:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def check(self, key: tuple[str, str], now: datetime) -> None:
        """Raise 429 (auth.login_throttled) if this username is locked now."""
        q = self._recent(key, now)
        if len(q) >= self.max_failures:
            retry = (q[0] + self.window - now).total_seconds()
            raise fail("auth.login_throttled", "密码错误次数过多，请稍后再试",
                       "Too many wrong passwords for this username; try again later",
                       kind="throttled", retry_after=max(1, math.ceil(retry)))

    def failed(self, key: tuple[str, str], now: datetime) -> None:
        self._recent(key, now)
        if key not in self._failures and len(self._failures) >= self.max_keys:
            for k in list(self._failures):
                self._recent(k, now)
            if len(self._failures) >= self.max_keys:
                # Still full of live entries: drop the oldest-tracked rather than grow without bound.
                self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


# One per process (see the module docstring).
LOGIN_THROTTLE = LoginThrottle()
