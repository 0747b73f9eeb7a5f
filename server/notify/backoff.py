"""When to try a push again: the push service's Retry-After, else exponential backoff with jitter."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

BASE_DELAY_S = 30.0
MAX_BACKOFF_S = 60.0 * 60.0
# A reminder is sent with a 24 h TTL; waiting longer than that only delivers a stale reminder,
# and an absurd Retry-After must not overflow the caller's datetime arithmetic.
MAX_RETRY_AFTER_S = 24.0 * 60.0 * 60.0


def retry_delay(attempt: int, retry_after_header: str | None, now: datetime, jitter: float) -> float:
    """Seconds to wait before the next try after failed attempt number `attempt` (1 = first try).

    A Retry-After header (RFC 9110 §10.2.3: delta-seconds or an HTTP-date) wins: the push
    service told us when it will accept again (RFC 8030 §8.4 for 429). Without a usable header
    the delay doubles per attempt from BASE_DELAY_S up to MAX_BACKOFF_S, and `jitter` in
    [0, 1] spreads it over the upper half ("equal jitter") so many phones' reminders that failed
    together do not retry together, yet no retry comes sooner than half the nominal delay.
    """
    if attempt < 1:
        raise ValueError(f"attempt is 1-based, got {attempt}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be in [0, 1], got {jitter}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")

    honoured = _parse_retry_after(retry_after_header, now)
    if honoured is not None:
        return min(honoured, MAX_RETRY_AFTER_S)

    nominal = min(BASE_DELAY_S * math.pow(2.0, attempt - 1), MAX_BACKOFF_S)
    return nominal / 2.0 + (nominal / 2.0) * jitter


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from `now` that a Retry-After value asks for, or None when it is missing or unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # parsedate gives a naive datetime for "-0000"; HTTP-dates are always GMT.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
