"""Push reminders against a local push service that speaks RFC 8030/8291/8292 (issue "Push reminders").

No mocks: pywebpush really signs and encrypts, requests really POSTs, and the double really
verifies the VAPID JWT and decrypts the body with the subscriber's keys.
"""

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from server.notify.backoff import retry_delay
from server.notify.vapid import application_server_key, load_or_create_vapid_keys
from server.notify.webpush import (
    DEFAULT_TTL_S,
    Outcome,
    PushSubscription,
    reminder_payload,
    send,
    send_async,
)

# tests/ is not a package and not on sys.path; drop this once pytest's `pythonpath` includes it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pushservice_double import PushServiceDouble, Subscriber, b64url_encode  # noqa: E402

PAYLOAD = reminder_payload(case_id=42, job_id=7, kind="follow_up", title="跟进提醒", body="3-1201 水管漏水")


@pytest.fixture
def push_service() -> Iterator[PushServiceDouble]:
    with PushServiceDouble() as double:
        yield double


@pytest.fixture
def vapid_key(tmp_path) -> ec.EllipticCurvePrivateKey:
    return load_or_create_vapid_keys(tmp_path / "keys").private_key


def subscription(phone: Subscriber) -> PushSubscription:
    return PushSubscription(phone.endpoint, phone.p256dh, phone.auth)


def test_reminder_round_trip_decrypts_to_the_payload_sent(push_service, vapid_key):
    phone = push_service.subscribe(application_server_key=application_server_key(vapid_key))

    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key, urgency="high", topic="case-42")

    assert (result.outcome, result.status) == (Outcome.DELIVERED, 201)
    assert phone.json_messages() == [PAYLOAD]
    [received] = push_service.received
    assert received.headers["ttl"] == str(DEFAULT_TTL_S)
    assert received.headers["urgency"] == "high"
    assert received.headers["topic"] == "case-42"
    assert received.claims["sub"] == "mailto:ops@estatedesk.local"


async def test_async_send_delivers_without_blocking_the_loop(push_service, vapid_key):
    # The push service answers only once the event loop has run another task during the send. A send
    # that blocked the loop would hold that task back, the double would give up (504) and the
    # outcome would not be DELIVERED.
    phone = push_service.subscribe()
    loop_ran = threading.Event()
    push_service.respond_with(phone, 201, hold_until=loop_ran)

    async def other_work() -> None:
        loop_ran.set()

    sending = asyncio.create_task(send_async(subscription(phone), PAYLOAD, vapid_private_key=vapid_key))
    await asyncio.sleep(0)  # the send starts first
    await other_work()
    result = await sending
    assert result.outcome is Outcome.DELIVERED
    assert phone.json_messages() == [PAYLOAD]


def test_each_send_signs_for_its_own_push_service(push_service, vapid_key):
    # pywebpush writes `aud` into the claims dict it is given; a reused dict would sign the
    # second push for the first service's origin, and the second service would refuse it.
    with PushServiceDouble() as other_service:
        first, second = push_service.subscribe(), other_service.subscribe()
        assert send(subscription(first), PAYLOAD, vapid_private_key=vapid_key).outcome is Outcome.DELIVERED
        assert send(subscription(second), PAYLOAD, vapid_private_key=vapid_key).outcome is Outcome.DELIVERED
        assert other_service.received[0].claims["aud"] == other_service.origin


def test_gone_subscription_is_reported_for_deletion(push_service, vapid_key):
    phone = push_service.subscribe()
    push_service.respond_with(phone, 410)

    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key)

    assert (result.outcome, result.status) == (Outcome.GONE, 410)
    # The double checked and decrypted it before answering 410: the request itself was sound.
    assert push_service.received[0].plaintext is not None


def test_unknown_subscription_is_reported_for_deletion(push_service, vapid_key):
    phone = push_service.subscribe()
    stale = PushSubscription(push_service.origin + "/push/expired", phone.p256dh, phone.auth)
    result = send(stale, PAYLOAD, vapid_private_key=vapid_key)
    assert (result.outcome, result.status) == (Outcome.GONE, 404)


def test_rate_limited_push_waits_as_long_as_retry_after_says(push_service, vapid_key):
    phone = push_service.subscribe()
    push_service.respond_with(phone, 429, retry_after="7")

    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key, jitter=0.0)

    assert (result.outcome, result.status, result.retry_after_s) == (Outcome.RETRY_LATER, 429, 7)


def test_retry_after_as_http_date_is_honoured(push_service, vapid_key):
    now = datetime.now(UTC).replace(microsecond=0)
    phone = push_service.subscribe()
    push_service.respond_with(
        phone, 503, retry_after=format_datetime(now + timedelta(minutes=2), usegmt=True)
    )

    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key, now=now)

    assert (result.outcome, result.retry_after_s) == (Outcome.RETRY_LATER, 120)


def test_push_service_error_is_retried_with_backoff(push_service, vapid_key):
    now = datetime.now(UTC)
    phone = push_service.subscribe()
    push_service.respond_with(phone, 500)

    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key, attempt=3, jitter=0.25, now=now)

    assert (result.outcome, result.status) == (Outcome.RETRY_LATER, 500)
    assert result.retry_after_s == retry_delay(3, None, now, 0.25)


def test_push_is_delivered_once_the_service_recovers(push_service, vapid_key):
    phone = push_service.subscribe()
    push_service.respond_with(phone, 500, times=1)
    assert send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key).outcome is Outcome.RETRY_LATER
    assert (
        send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key, attempt=2).outcome
        is Outcome.DELIVERED
    )
    assert phone.json_messages() == [PAYLOAD]


def test_unreachable_push_service_is_retried_later(vapid_key):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on `port` now: connection refused.
    sub = PushSubscription(f"http://127.0.0.1:{port}/push/x", *_browser_keys())
    result = send(sub, PAYLOAD, vapid_private_key=vapid_key, jitter=0.0)
    assert (result.outcome, result.status, result.retry_after_s) == (Outcome.RETRY_LATER, None, 15)


def test_slow_push_service_times_out_and_is_retried_later(push_service, vapid_key):
    phone = push_service.subscribe()
    push_service.respond_with(phone, 201, delay_s=1.0)
    # Without the timeout the send would wait the second out and report DELIVERED.
    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key, timeout=0.2)
    assert result.outcome is Outcome.RETRY_LATER and "Timeout" in result.detail


def test_subscription_made_for_another_vapid_key_fails_without_retry(push_service, vapid_key):
    # After a key change the phone must subscribe again; resending cannot help (RFC 8292 §4.2).
    phone = push_service.subscribe(
        application_server_key=application_server_key(ec.generate_private_key(ec.SECP256R1()))
    )
    result = send(subscription(phone), PAYLOAD, vapid_private_key=vapid_key)
    assert (result.outcome, result.status) == (Outcome.FAILED, 403)
    assert phone.messages == []


def test_malformed_subscription_keys_fail_without_a_request(push_service, vapid_key):
    result = send(
        PushSubscription(push_service.origin + "/push/x", "bm90IGEga2V5", "YXV0aA"),
        PAYLOAD,
        vapid_private_key=vapid_key,
    )
    assert result.outcome is Outcome.FAILED
    assert push_service.received == []


def test_endpoint_that_is_not_a_url_fails_without_retry(vapid_key):
    result = send(
        PushSubscription("push.example.net/x", *_browser_keys()), PAYLOAD, vapid_private_key=vapid_key
    )
    assert result.outcome is Outcome.FAILED


# --- the double really checks: requests that a real push service would refuse are refused ---


def _browser_keys() -> tuple[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url_encode(point), b64url_encode(os.urandom(16))


def test_double_rejects_jwt_signed_for_another_audience(push_service, vapid_key):
    phone = push_service.subscribe()
    with pytest.raises(WebPushException) as refused:
        webpush(
            phone.to_json(),
            data="hello",
            vapid_private_key=Vapid02(vapid_key),
            vapid_claims={"sub": "mailto:ops@estatedesk.local", "aud": "https://push.example.net"},
            ttl=60,
        )
    assert refused.value.response.status_code == 401
    assert "aud" in push_service.refusals()[0].reason
    assert phone.messages == []


def test_double_rejects_jwt_not_signed_by_the_key_in_k(push_service, vapid_key):
    phone = push_service.subscribe()
    headers = Vapid02(vapid_key).sign({"sub": "mailto:ops@estatedesk.local", "aud": push_service.origin})
    impostor = application_server_key(ec.generate_private_key(ec.SECP256R1()))
    token = headers["Authorization"].split("t=", 1)[1].split(",", 1)[0]
    response = requests.post(
        phone.endpoint,
        data=b"x" * 100,
        headers={
            "Authorization": f"vapid t={token}, k={impostor}",
            "TTL": "60",
            "Content-Encoding": "aes128gcm",
        },
        timeout=5,
    )
    assert response.status_code == 401
    assert "signature" in push_service.refusals()[0].reason


def test_double_rejects_jwt_expiring_more_than_a_day_ahead(push_service, vapid_key):
    phone = push_service.subscribe()
    with pytest.raises(WebPushException) as refused:
        webpush(
            phone.to_json(),
            data="hello",
            vapid_private_key=Vapid02(vapid_key),
            vapid_claims={"sub": "mailto:ops@estatedesk.local", "exp": int(time.time()) + 25 * 3600},
            ttl=60,
        )
    assert refused.value.response.status_code == 401


def test_double_rejects_pywebpush_default_ttl_of_zero(push_service, vapid_key):
    # Why send() always sets a TTL: pywebpush's default is 0, which loses reminders to offline phones.
    phone = push_service.subscribe()
    with pytest.raises(WebPushException) as refused:
        webpush(
            phone.to_json(),
            data="hello",
            vapid_private_key=Vapid02(vapid_key),
            vapid_claims={"sub": "mailto:a@b.cn"},
        )
    assert refused.value.response.status_code == 400
    assert "TTL" in push_service.refusals()[0].reason


def test_double_rejects_body_not_encrypted_for_the_subscriber(push_service, vapid_key):
    phone, someone_else = push_service.subscribe(), push_service.subscribe()
    misaddressed = {"endpoint": phone.endpoint, "keys": someone_else.to_json()["keys"]}
    with pytest.raises(WebPushException) as refused:
        webpush(
            misaddressed,
            data="hello",
            vapid_private_key=Vapid02(vapid_key),
            vapid_claims={"sub": "mailto:a@b.cn"},
            ttl=60,
        )
    assert refused.value.response.status_code == 400
    assert "decrypt" in push_service.refusals()[0].reason
