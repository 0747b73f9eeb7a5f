"""A phone clock changed between the tap and the send cannot move a field step (design 4, D128).

D35 reads `device_time` and `sent_at` from the same phone clock, so a constant error cancels out; a
clock CHANGED in between does not. The phone's own estimate of server time at the tap
(`server_time_est`, measured against a monotonic clock since its last sync) is immune to that change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.sync.push import CLOCK_SKEW_FLAG, acted_at, clock_changed

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
M = timedelta(minutes=1)
SLOW = timedelta(minutes=-20)


def test_a_step_counts_at_the_phones_estimate_of_server_time_when_it_sent_one() -> None:  # R-FU-4 design 4
    # Tapped at T0+12 with the clock 20 min slow; the clock was corrected before the send at T0+40.
    tapped, received = T0 + 12 * M, T0 + 40 * M
    device_time, sent_at = tapped + SLOW, received
    assert acted_at(device_time, sent_at, received) == tapped + SLOW  # D35 alone: 20 min early
    assert acted_at(device_time, sent_at, received, server_time_est=tapped) == tapped
    # Never after the server heard of it.
    assert acted_at(device_time, sent_at, received, server_time_est=received + 5 * M) == received
    # The estimate alone (no sent_at) still places the step.
    assert acted_at(device_time, None, received, server_time_est=tapped) == tapped


def test_without_the_estimate_the_batch_clock_places_the_step_as_before() -> None:  # R-FU-4 design 4
    skew = timedelta(hours=1)
    tapped, received = T0 + 12 * M, T0 + 40 * M
    assert acted_at(tapped + skew, received + skew, received, server_time_est=None) == tapped
    assert acted_at(None, None, received, server_time_est=None) is None


def test_a_clock_changed_between_the_tap_and_the_send_is_flagged_above_the_threshold() -> None:  # design 4
    tapped, received = T0 + 12 * M, T0 + 40 * M
    # Corrected 20 min forward: the estimate is 20 min after what the batch's clock says.
    assert clock_changed(tapped + SLOW, received, received, tapped) == -SLOW
    # 20 min fast at the tap, set back before the send (a fast clock corrected): the other sign.
    assert clock_changed(tapped - SLOW, received, received, tapped) == SLOW


def test_a_small_difference_or_a_missing_reading_is_not_flagged() -> None:  # design 4
    tapped, received = T0 + 12 * M, T0 + 40 * M
    drift = CLOCK_SKEW_FLAG - timedelta(seconds=1)
    assert clock_changed(tapped, received, received, tapped + drift) is None
    assert clock_changed(tapped, received, received, tapped) is None
    assert clock_changed(tapped, received, received, None) is None  # an older app
    assert clock_changed(tapped, None, received, tapped + 20 * M) is None  # nothing to compare with
    assert clock_changed(None, received, received, tapped + 20 * M) is None
