"""The job document carries each of the job's clocks with how the phone shows it: running, met, missed (D106).

Before the sync a met clock read "已完成 19:54"; after it the met clocks vanished from the job, and a job
arrived at 20 minutes never showed that it missed the 15-minute clock.
"""

from __future__ import annotations

from tests.integration.test_sync_protocol import _job_for


def _clock(job: dict, code: str) -> dict:
    return next(c for c in job["clocks"] if c["code"] == code)


async def test_an_arrival_twenty_minutes_after_dispatch_shows_the_on_site_clock_missed_by_five(client, clock):  # R-FU-4
    _, _, phone, job_id = await _job_for(client)
    assert _clock(phone.jobs()[job_id], "FU4_ON_SITE_15M")["state"] == "running"
    clock.advance(minutes=20)
    res = await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id))
    assert [r["status"] for r in res["results"]] == ["applied"] * 2
    await phone.pull()
    on_site = _clock(phone.jobs()[job_id], "FU4_ON_SITE_15M")
    assert (on_site["state"], on_site["late_min"]) == ("missed", 5)
    assert on_site["satisfied_at"] and on_site["running"] is False


async def test_an_arrival_in_time_keeps_the_on_site_clock_on_the_job_as_met(client, clock):  # R-FU-4
    _, _, phone, job_id = await _job_for(client)
    clock.advance(minutes=10)
    await phone.push(phone.mutation("job.accept", job_id=job_id), phone.mutation("job.arrive", job_id=job_id))
    await phone.pull()
    on_site = _clock(phone.jobs()[job_id], "FU4_ON_SITE_15M")
    assert (on_site["state"], on_site["late_min"]) == ("met", None)
    # The clocks still running count down beside it.
    assert any(c["state"] == "running" for c in phone.jobs()[job_id]["clocks"])
