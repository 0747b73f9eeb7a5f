"""A phone whose clock was changed between the tap and the send cannot move the step (design 4, D128).

The technician's phone is 20 minutes slow when the arrival is tapped offline, 25 minutes after the
dispatch (late for R-FU-4's 15). Its clock is corrected before the send. The batch's own clock (D35)
then places the tap 20 minutes early — on time. The phone's server-time estimate at the tap, taken
against its last sync on a clock the correction cannot move, places it where it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.integration.test_sync_protocol import _job_for

M = timedelta(minutes=1)
SLOW = timedelta(minutes=-20)


async def _arrive_late_with_a_corrected_clock(client, clock, *, with_estimate: bool):  # noqa: ANN001, ANN202
    desk, case_id, phone, job_id = await _job_for(client)
    dispatched = clock.now()
    tapped = dispatched + 25 * M
    arrive = phone.mutation("job.arrive", job_id=job_id)
    arrive["device_time"] = (tapped + SLOW).isoformat()  # the slow clock's reading at the tap
    if with_estimate:
        arrive["server_time_est"] = tapped.isoformat()  # the phone's estimate: right
    clock.advance(minutes=40)  # upstairs; the clock has been corrected
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": [arrive], "sent_at": clock.now().isoformat()})
    assert [x["status"] for x in r.json()["results"]] == ["applied"], r.text
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    return view, dispatched, tapped


async def test_an_arrival_tapped_before_the_phones_clock_was_corrected_counts_when_it_happened(client, clock):  # R-FU-4 design 4
    view, dispatched, tapped = await _arrive_late_with_a_corrected_clock(client, clock, with_estimate=True)
    [wo] = view["case"]["work_orders"]
    assert datetime.fromisoformat(wo["arrived_at"]) == tapped
    assert datetime.fromisoformat(wo["arrived_device_at"]) == tapped + SLOW  # the raw reading stays evidence
    on_site = next(c for c in view["clocks"] if c["code"] == "FU4_ON_SITE_15M")
    assert on_site["overdue"] is True, on_site  # 25 minutes: late, whatever the clock said
    # The desk's history says the phone's clock was changed, by how much, and what it read.
    ev = next(e for e in view["timeline"] if e["action"] == "work_order.arrived")
    assert ev["data"]["clock_changed_s"] == 20 * 60
    assert datetime.fromisoformat(ev["data"]["device_at"]) == tapped + SLOW
    assert datetime.fromisoformat(ev["data"]["acted_at"]) == tapped
    assert datetime.fromisoformat(ev["at"]) == dispatched + 40 * M  # the receipt stays


async def test_every_field_step_carries_the_changed_clock_as_evidence(client, clock):  # R-CL-1 design 4
    # A note has no device_at of its own: the evidence brings the raw reading with it.
    desk, case_id, phone, job_id = await _job_for(client)
    t0 = clock.now()
    arrive = phone.mutation("job.arrive", job_id=job_id)
    arrive["device_time"] = (t0 + 5 * M).isoformat()
    arrive["server_time_est"] = (t0 + 5 * M).isoformat()  # this one's clock had not changed yet
    note = phone.mutation("job.note", job_id=job_id, text="阀门锈死")
    note["device_time"] = (t0 + 9 * M + SLOW).isoformat()
    note["server_time_est"] = (t0 + 9 * M).isoformat()
    clock.advance(minutes=30)
    r = await client.post("/api/sync/push", headers=phone.headers, json={
        "client_id": phone.client_id, "mutations": [arrive, note], "sent_at": clock.now().isoformat()})
    assert [x["status"] for x in r.json()["results"]] == ["applied", "applied"], r.text
    view = (await client.get(f"/api/cases/{case_id}", headers=desk)).json()
    [wo] = view["case"]["work_orders"]
    assert datetime.fromisoformat(wo["notes"][0]["at"]) == t0 + 9 * M
    events = {e["action"]: e for e in view["timeline"]}
    assert "clock_changed_s" not in events["work_order.arrived"]["data"]  # agreed: nothing to flag
    noted = events["work_order.note_added"]["data"]
    assert noted["clock_changed_s"] == 20 * 60
    assert datetime.fromisoformat(noted["device_at"]) == t0 + 9 * M + SLOW


async def test_without_the_estimate_the_corrected_clock_still_places_the_arrival_by_the_batch(client, clock):  # R-FU-4 D35
    # An older app sends no estimate: D35 as before, which the correction moves 20 minutes early.
    view, dispatched, tapped = await _arrive_late_with_a_corrected_clock(client, clock, with_estimate=False)
    [wo] = view["case"]["work_orders"]
    assert datetime.fromisoformat(wo["arrived_at"]) == tapped + SLOW
    ev = next(e for e in view["timeline"] if e["action"] == "work_order.arrived")
    assert "clock_changed_s" not in ev["data"]
