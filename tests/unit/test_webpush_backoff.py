"""Retry timing for push sends: Retry-After first, else doubling backoff with jitter (issue "Push reminders")."""

from datetime import UTC, datetime, timedelta

import pytest

from server.notify.backoff import BASE_DELAY_S, MAX_BACKOFF_S, MAX_RETRY_AFTER_S, retry_delay

NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


def test_retry_after_delta_seconds_is_honoured_exactly():
    assert retry_delay(1, "7", NOW, jitter=0.9) == 7


def test_retry_after_http_date_is_honoured_relative_to_now():
    assert retry_delay(3, "Sun, 22 Nov 2026 08:02:00 GMT", NOW, jitter=0.5) == 120


def test_retry_after_date_in_the_past_means_retry_now():
    assert retry_delay(1, "Sun, 22 Nov 2026 07:00:00 GMT", NOW, jitter=0.5) == 0


def test_absurd_retry_after_is_capped_at_one_day():
    assert retry_delay(1, "99999999999", NOW, jitter=0.0) == MAX_RETRY_AFTER_S


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5"])
def test_missing_or_unusable_retry_after_falls_back_to_backoff(header):
    assert retry_delay(1, header, NOW, jitter=0.0) == BASE_DELAY_S / 2


def test_backoff_doubles_per_attempt_and_jitter_spreads_the_upper_half():
    assert [retry_delay(n, None, NOW, jitter=0.0) for n in (1, 2, 3)] == [15, 30, 60]
    assert [retry_delay(n, None, NOW, jitter=1.0) for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(2, None, NOW, jitter=0.5) == 45


def test_backoff_is_capped():
    assert retry_delay(50, None, NOW, jitter=1.0) == MAX_BACKOFF_S


@pytest.mark.parametrize(
    ("attempt", "jitter", "now"),
    [(0, 0.5, NOW), (1, -0.1, NOW), (1, 1.1, NOW), (1, 0.5, NOW.replace(tzinfo=None))],
)
def test_invalid_arguments_are_rejected(attempt, jitter, now):
    with pytest.raises(ValueError):
        retry_delay(attempt, None, now, jitter)


def test_http_date_uses_the_clock_passed_in():
    later = NOW + timedelta(seconds=100)
    assert retry_delay(1, "Sun, 22 Nov 2026 08:02:00 GMT", later, jitter=0.0) == 20
