"""Send one Web Push message (RFC 8030/8291/8292) through pywebpush and classify the answer."""

from __future__ import annotations

import binascii
import enum
import functools
import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
import http_ece
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from server.notify.backoff import retry_delay

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "mailto:ops@estatedesk.local"
# pywebpush defaults to TTL 0: the push service drops the message unless the phone is online at
# that instant, and technicians are often offline in basements. A day covers a shift and a night.
DEFAULT_TTL_S = 24 * 60 * 60
# pywebpush defaults to no timeout: one stuck push service would pin a worker thread forever.
DEFAULT_TIMEOUT_S = 10.0
URGENCIES = ("very-low", "low", "normal", "high")  # RFC 8030 §5.3
# Push services must accept 4096 bytes of encrypted body (RFC 8030 §7.2); aes128gcm adds 86 bytes
# of header, 16 of tag and 1 of padding delimiter. 3 KB leaves room and keeps us honest.
MAX_PAYLOAD_BYTES = 3 * 1024
_TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 §5.4


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"  # the push service accepted it (it may still wait for the phone)
    GONE = "gone"  # 404/410: the subscription is dead; the caller deletes it
    RETRY_LATER = "retry_later"  # 429, 5xx or no answer; try again after retry_after_s
    FAILED = "failed"  # any other refusal; retrying the same request will not help


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """What the browser's PushSubscription.toJSON() gives: endpoint and keys.p256dh / keys.auth."""

    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    status: int | None = None  # HTTP status from the push service; None when there was no answer
    retry_after_s: float | None = None  # set only for RETRY_LATER
    detail: str = ""  # for logs; not shown to people


class PayloadTooLarge(ValueError):
    """The serialized payload exceeds MAX_PAYLOAD_BYTES; a programming error, not a delivery outcome."""


def reminder_payload(*, case_id: int, job_id: int, kind: str, title: str, body: str,
                     title_en: str | None = None, body_en: str | None = None) -> dict[str, Any]:
    """The JSON the service worker's push handler reads.

    `tag` is per case so a repeated reminder replaces the earlier notification on the phone
    instead of stacking (server/notify/reminders.payload_for gives an emergency and a referral tags of
    their own, so a routine reminder cannot replace them); `url` opens the job in the app. `title_en`/`body_en` are shown on a phone
    switched to English. Long text is cut to stay under the size limit, English body first.
    """
    payload: dict[str, Any] = {
        "title": title,
        "body": body,
        "tag": f"case-{case_id}",
        "url": f"/#/job/{job_id}",
        "case_id": case_id,
        "job_id": job_id,
        "kind": kind,
    }
    if title_en is not None:
        payload["title_en"] = title_en
    if body_en is not None:
        payload["body_en"] = body_en
    return fit_payload(payload)


def fit_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Cuts the texts, English body first, until the payload is under MAX_PAYLOAD_BYTES (in place)."""
    for field in ("body_en", "body", "title_en", "title"):
        if field in payload:
            _shorten(payload, field)
    return payload


def _shorten(payload: dict[str, Any], field: str) -> None:
    text = payload[field]
    keep = len(text)
    while keep > 0 and len(encode_payload(payload)) > MAX_PAYLOAD_BYTES:
        excess = len(encode_payload(payload)) - MAX_PAYLOAD_BYTES
        # A character costs at most 6 bytes in JSON (a \u escape), so this never cuts too much.
        keep = max(0, keep - (excess // 6 + 1))
        payload[field] = text[:keep] + "…" if keep else ""


def encode_payload(payload: dict[str, Any]) -> bytes:
    # UTF-8 rather than \u escapes: Chinese text costs 3 bytes a character instead of 6.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def send(
    subscription: PushSubscription,
    payload: dict[str, Any],
    *,
    vapid_private_key: ec.EllipticCurvePrivateKey,
    subject: str = DEFAULT_SUBJECT,
    ttl: int = DEFAULT_TTL_S,
    timeout: float = DEFAULT_TIMEOUT_S,
    urgency: str = "normal",
    topic: str | None = None,
    attempt: int = 1,
    jitter: float | None = None,
    now: datetime | None = None,
) -> SendResult:
    """Encrypt `payload` for the subscriber and POST it to the push service. Blocking (requests).

    `attempt` (1-based), `jitter` in [0, 1] and `now` only shape retry_after_s; when omitted,
    jitter is random and now is the current UTC time. `topic` lets the push service replace a
    still-undelivered earlier message with the same topic (e.g. "case-42") while the phone is offline.
    """
    if ttl <= 0:
        raise ValueError("ttl must be > 0: with TTL 0 an offline phone never receives the message")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}, got {urgency!r}")
    if topic is not None and not _TOPIC_RE.match(topic):
        raise ValueError(f"topic must be 1-32 base64url characters, got {topic!r}")
    data = encode_payload(payload)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"payload is {len(data)} bytes; the limit is {MAX_PAYLOAD_BYTES}")

    endpoint = urlsplit(subscription.endpoint)
    if endpoint.scheme not in ("https", "http") or not endpoint.hostname:
        # Checked here because py_vapid would otherwise fail on the derived `aud` with a
        # configuration-looking error; a stored endpoint that is not a URL will never become one.
        return SendResult(Outcome.FAILED, None, None, f"invalid endpoint {subscription.endpoint!r}")

    headers: dict[str, str | int | float] = {"Urgency": urgency}
    if topic is not None:
        headers["Topic"] = topic

    def retry_later(status: int | None, retry_after_header: str | None, detail: str) -> SendResult:
        delay = retry_delay(
            attempt,
            retry_after_header,
            now if now is not None else datetime.now(UTC),
            random.random() if jitter is None else jitter,
        )
        return SendResult(Outcome.RETRY_LATER, status, delay, detail)

    try:
        response = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            # pywebpush.webpush() takes str and encodes it as UTF-8 again; decoding is lossless.
            data=data.decode("utf-8"),
            vapid_private_key=Vapid02(vapid_private_key),
            # A new dict every call: pywebpush writes aud/exp into it, and a reused dict would carry
            # the first endpoint's audience to the next push service (which then answers 401/403).
            vapid_claims={"sub": subject},
            content_encoding="aes128gcm",
            ttl=ttl,
            timeout=timeout,
            headers=headers,
        )
    except WebPushException as exc:
        response = exc.response
        if response is None:
            # Raised before any request: the subscription's keys are malformed.
            return SendResult(Outcome.FAILED, None, None, f"invalid subscription: {exc.message}")
        return _classify(response.status_code, response.headers.get("Retry-After"), retry_later, exc.message)
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ) as exc:
        # A stored endpoint that is not a usable URL will never become one.
        return SendResult(Outcome.FAILED, None, None, f"invalid endpoint: {exc}")
    except requests.RequestException as exc:
        # Connection refused, DNS failure, timeout: the push service may be back shortly.
        return retry_later(None, None, f"{type(exc).__name__}: {exc}")
    except (ValueError, TypeError, binascii.Error, http_ece.ECEException) as exc:
        # Undecodable p256dh/auth from the browser; sending again will not fix it.
        return SendResult(Outcome.FAILED, None, None, f"invalid subscription: {exc}")
    return _classify(response.status_code, response.headers.get("Retry-After"), retry_later, "")


def _classify(
    status: int,
    retry_after_header: str | None,
    retry_later: Callable[[int | None, str | None, str], SendResult],
    message: str,
) -> SendResult:
    if 200 <= status < 300:
        return SendResult(Outcome.DELIVERED, status)
    if status in (404, 410):
        # RFC 8030 §7.3: the subscription expired or the person unsubscribed.
        return SendResult(Outcome.GONE, status, None, message)
    if status == 429 or status >= 500:
        return retry_later(status, retry_after_header, message)
    # 400/401/403/413 and the rest: our request is wrong (e.g. 403 = subscription made for a
    # different VAPID key). Repeating it gets the same answer.
    log.warning("push refused with %s: %s", status, message)
    return SendResult(Outcome.FAILED, status, None, message)


async def send_async(
    subscription: PushSubscription,
    payload: dict[str, Any],
    *,
    vapid_private_key: ec.EllipticCurvePrivateKey,
    subject: str = DEFAULT_SUBJECT,
    ttl: int = DEFAULT_TTL_S,
    # The HTTP timeout inside the worker thread; anyio.fail_after could not interrupt a thread.
    timeout: float = DEFAULT_TIMEOUT_S,  # noqa: ASYNC109
    urgency: str = "normal",
    topic: str | None = None,
    attempt: int = 1,
    jitter: float | None = None,
    now: datetime | None = None,
) -> SendResult:
    """send() in a worker thread, so the blocking HTTP call never stalls the event loop."""
    call = functools.partial(
        send,
        subscription,
        payload,
        vapid_private_key=vapid_private_key,
        subject=subject,
        ttl=ttl,
        timeout=timeout,
        urgency=urgency,
        topic=topic,
        attempt=attempt,
        jitter=jitter,
        now=now,
    )
    # abandon_on_cancel: a cancelled caller is released at once; the thread finishes within `timeout`.
    return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
