"""Web hardening: security headers everywhere, allowed hosts, rate limits keyed on the caller, no cookies."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from server.ratelimit import DeviceRateLimiter, LoginThrottle
from server.settings import REPO_ROOT
from tests.conftest import login
from tests.integration.scenarios import Phone, new_repair, upload

HEADERS = {
    "content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options", "permissions-policy",
}


def _assert_hardened(r, what: str) -> None:  # noqa: ANN001
    missing = HEADERS - set(r.headers)
    assert not missing, (what, missing)
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split(";") if d.strip()}
    assert csp["script-src"] == ["'self'"], what  # no inline script, no eval, no other origin
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["base-uri"] == ["'self'"]
    assert "unsafe" not in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "set-cookie" not in r.headers, what
    assert "access-control-allow-origin" not in r.headers, what


# --- security headers: the HTML page, static files, API answers and every kind of error ---


async def test_security_headers_on_the_page_static_files_api_and_errors(client):  # noqa: ANN001
    tech = await login(client, "tech")
    static = ["/styles.css", "/service-worker.js", "/manifest.webmanifest"]
    if (REPO_ROOT / "pwa" / "dist" / "app.js").exists():
        static.append("/dist/app.js")
    for url in ["/", "/index.html", *static]:
        r = await client.get(url)
        assert r.status_code == 200, url
        _assert_hardened(r, url)
    for url, headers, status in [
        ("/api/health", {}, 200),
        ("/api/me", tech, 200),
        ("/schema/openapi.json", {}, 200),
        ("/api/me", {}, 401),  # refused by the auth middleware
        ("/api/devices", tech, 403),  # refused by the role guard
        ("/api/cases/nope", await login(client, "dispatcher"), 404),  # refused by a service
        ("/api/no-such-route", tech, 404),  # the router's own 404
        ("/api/cases?q=%00", tech, 400),  # refused by the input guard
    ]:
        r = await client.get(url, headers=headers)
        assert r.status_code == status, (url, r.status_code)
        _assert_hardened(r, url)
    r = await client.delete("/api/health")  # the router's own 405
    assert r.status_code == 405
    _assert_hardened(r, "405")


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        names = dict(attrs)
        self.handlers += [f"{tag}.{k}" for k, _ in attrs if k.lower().startswith("on")]
        self.handlers += [f"{tag}.{k}" for k, v in attrs if v and v.strip().lower().startswith("javascript:")]
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.inline.append("<script> without src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:60])


async def test_the_served_page_has_no_inline_script_or_event_handler(client):  # noqa: ANN001
    r = await client.get("/")
    parser = _Scripts()
    parser.feed(r.text)
    assert parser.inline == [] and parser.handlers == []
    assert re.search(r'<script[^>]+src="/', r.text), "the app is loaded as a same-origin module"


# --- allowed hosts (D8): the name is checked, the port is not ---


@pytest.mark.parametrize("host,ok", [
    ("localhost:9999", True), ("127.0.0.1:8000", True), ("a.localhost", True), ("[::1]:8000", True),
    ("evil.example", False), ("evil.example:8000", False), ("localhost.evil.example", False),
    ("alocalhost", False), ("testserver.local.evil.example", False), ("", False),
])
async def test_only_allowed_host_names_are_answered(client, host, ok):  # noqa: ANN001
    r = await client.get("/api/health", headers={"host": host})
    if ok:
        assert r.status_code == 200, host
    else:
        assert r.status_code == 400 and r.json()["code"] == "request.bad_host", host


# --- rate limit per device token (not per IP: a crew shares one NAT address) ---


@pytest.fixture
def small_bucket(client):  # noqa: ANN001, ANN201
    app = client._transport.app
    saved = app.state.rate_limiter
    now = [0.0]
    app.state.rate_limiter = DeviceRateLimiter(burst=5, per_second=0.5, clock=lambda: now[0])
    try:
        yield now
    finally:
        app.state.rate_limiter = saved


async def test_a_device_over_its_bucket_gets_429_with_retry_after(client, small_bucket):  # noqa: ANN001
    tech = await login(client, "tech", device="runaway phone")
    codes = [(await client.get("/api/me", headers=tech)).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    r = await client.get("/api/me", headers=tech)
    assert r.status_code == 429
    assert r.json()["code"] == "request.throttled" and r.json()["message"] and r.json()["message_en"]
    assert int(r.headers["retry-after"]) == r.json()["details"]["retry_after"] == 2
    _assert_hardened(r, "429")
    small_bucket[0] += 2.0  # wait as long as Retry-After said
    assert (await client.get("/api/me", headers=tech)).status_code == 200


async def test_other_devices_behind_the_same_address_are_not_throttled(client, small_bucket):  # noqa: ANN001
    # Every request here comes from the same client address, as a crew behind one NAT would.
    noisy = await login(client, "tech", device="phone A")
    same_user_other_phone = await login(client, "tech", device="phone B")
    colleague = await login(client, "tech2", device="phone C")
    for _ in range(6):
        await client.get("/api/me", headers=noisy)
    assert (await client.get("/api/me", headers=noisy)).status_code == 429
    assert (await client.get("/api/me", headers=same_user_other_phone)).status_code == 200
    assert (await client.get("/api/me", headers=colleague)).status_code == 200
    # Public routes are not keyed on a device and are not throttled by it.
    assert (await client.get("/api/health")).status_code == 200


async def test_a_phone_syncing_every_15_seconds_is_never_throttled_by_the_defaults():
    now = [0.0]
    limiter = DeviceRateLimiter(clock=lambda: now[0])
    refused = 0
    # A day of 15-second cycles, each a push, two pulls and a few blob checks and uploads ...
    for _ in range(24 * 60 * 4):
        refused += sum(limiter.take("dev_phone") > 0 for _ in range(8))
        now[0] += 15
    # ... and, after a day in a basement, 120 queued photos checked and uploaded at once (a HEAD and a
    # PUT each). More than that meets 429, which the phone treats as transient: it waits and resumes
    # (sync.js isPermanent), so a longer queue is slowed down, never lost.
    refused += sum(limiter.take("dev_phone") > 0 for _ in range(2 * 120))
    assert refused == 0


async def test_a_client_stuck_in_a_retry_loop_is_throttled_by_the_defaults():
    now = [0.0]
    limiter = DeviceRateLimiter(clock=lambda: now[0])
    allowed = 0
    for _ in range(2000):  # 2000 requests in 10 s
        allowed += limiter.take("dev_loop") == 0
        now[0] += 0.005
    assert allowed < 300


def test_the_limiter_forgets_full_buckets_when_it_tracks_too_many():
    now = [0.0]
    limiter = DeviceRateLimiter(burst=2, per_second=1, clock=lambda: now[0], max_keys=100)
    for i in range(1000):
        limiter.take(f"dev_{i}")
        now[0] += 0.01
    assert len(limiter._buckets) <= 101


# --- login throttle per username ---


async def _bad(client, username: str):  # noqa: ANN001, ANN202
    return await client.post("/api/auth/login", json={"username": username, "password": "wrong", "device_name": "x"})


async def test_five_wrong_passwords_lock_that_username_for_15_minutes(client, clock):  # noqa: ANN001
    assert [(await _bad(client, "tech")).status_code for _ in range(5)] == [401] * 5
    # Locked: even the right password is not checked now (no guessing while locked) ...
    r = await client.post("/api/auth/login", json={"username": "tech", "password": "demo", "device_name": "x"})
    assert r.status_code == 429 and r.json()["code"] == "auth.login_throttled"
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    assert "set-cookie" not in r.headers
    # ... other usernames are not affected (the crew behind the same address keeps logging in) ...
    await login(client, "tech2")
    # ... and the lock lifts when the window has passed.
    clock.advance(minutes=15)
    await login(client, "tech")


async def test_a_successful_login_clears_the_failure_count(client):  # noqa: ANN001
    for _ in range(4):
        assert (await _bad(client, "guard")).status_code == 401
    await login(client, "guard")
    for _ in range(4):
        assert (await _bad(client, "guard")).status_code == 401
    await login(client, "guard")


async def test_unknown_usernames_are_throttled_alike(client):  # noqa: ANN001
    codes = [(await _bad(client, "nobody")).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # Case and spacing variants of a username share one count.
    assert (await _bad(client, " NOBODY ")).status_code == 429


def test_the_login_throttle_stays_bounded_under_a_username_spray():
    from datetime import UTC, datetime

    t = LoginThrottle(max_keys=50)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    for i in range(500):
        t.failed(t.key("db", f"user{i}"), now)
    assert len(t._failures) <= 50


# --- no cookies: bearer tokens only, so there is no CSRF surface (D4) ---


async def test_no_response_ever_sets_a_cookie(client):  # noqa: ANN001
    responses = [await client.post("/api/auth/login", json={"username": "tech", "password": "demo", "device_name": "p"})]
    tech = {"Authorization": f"Bearer {responses[0].json()['token']}"}
    phone = Phone(client, tech)
    responses += [
        await client.post("/api/auth/login", json={"username": "tech", "password": "nope", "device_name": "p"}),
        await client.get("/api/me", headers=tech),
        await client.get("/api/sync/pull", headers=tech),
        await client.post("/api/sync/push", headers=tech, json={"client_id": phone.client_id, "mutations": []}),
        await client.get("/api/health"),
        await client.get("/"),
        await client.get("/schema/openapi.json"),
        await client.get("/api/me"),
        await client.post("/api/auth/logout", headers=tech),
    ]
    for r in responses:
        assert "set-cookie" not in r.headers, (r.request.url, r.headers)
    assert client.cookies.jar is not None and len(client.cookies.jar) == 0


# --- response compression ---------------------------------------------------------------------

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


async def test_json_answers_are_gzipped_for_clients_that_accept_it_and_mean_the_same(client):  # noqa: ANN001
    # A phone's first pull and the desk's lists are what a weak signal waits for.
    desk = await login(client, "dispatcher")
    for _ in range(3):
        await new_repair(client, desk, content="地下车库 B2 排水沟堵塞，" * 5)
    plain = await client.get("/api/cases?limit=50", headers={**desk, **IDENTITY})
    packed = await client.get("/api/cases?limit=50", headers={**desk, **GZIP})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert packed.json() == plain.json()  # httpx undid the gzip
    on_wire = int(packed.headers["content-length"])
    assert on_wire * 4 < len(plain.content), (on_wire, len(plain.content))
    # The security headers are on the compressed answer too.
    assert packed.headers["x-content-type-options"] == "nosniff"


async def test_small_answers_images_and_spreadsheets_are_not_gzipped(client, clock):  # noqa: ANN001
    desk = await login(client, "dispatcher")
    assert "content-encoding" not in (await client.get("/api/health", headers=GZIP)).headers
    photo = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert("RGB").save(photo, "JPEG", quality=80)
    sha = await upload(client, desk, photo.getvalue(), "image/jpeg")
    blob = await client.get(f"/api/blobs/{sha}", headers={**desk, **GZIP})
    assert blob.status_code == 200 and len(blob.content) > 1024
    assert "content-encoding" not in blob.headers  # a JPEG does not shrink; gzip would only cost CPU
    mgr = await login(client, "manager")
    xlsx = await client.get("/api/reports/monthly/2026/11/xlsx", headers={**mgr, **GZIP})
    assert xlsx.status_code == 200 and "content-encoding" not in xlsx.headers
    assert xlsx.content[:2] == b"PK"
