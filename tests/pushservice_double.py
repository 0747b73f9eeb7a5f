"""A local Web Push service for tests: checks VAPID (RFC 8292), decrypts aes128gcm (RFC 8291), records.

It plays both ends a real delivery involves: the push service (HTTP on 127.0.0.1, ephemeral
port) and the browser (each subscriber's P-256 key pair and 16-byte auth secret are made here,
as `pushManager.subscribe()` would). Its checks are written against the RFCs with
`cryptography` directly, not with py_vapid or http_ece, so they share no code with the sender
under test (pywebpush encrypts with http_ece: a decrypter built on the same library would accept
a symmetric mistake of it). `decrypt_aes128gcm` is proven on RFC 8291 §5's example by a unit test.

Usage from a test: `with PushServiceDouble() as push_service: ...`, or the `push_service`
fixture below, made available through a conftest (`pytest_plugins = ["pushservice_double"]`
in the root conftest, or `from pushservice_double import push_service  # noqa: F401`):

    def test_x(push_service):
        phone = push_service.subscribe()
        ... send to phone.endpoint with keys phone.p256dh / phone.auth ...
        assert phone.messages == [b'{"title": ...}']
        push_service.respond_with(phone, 429, retry_after="7")
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAX_BODY_BYTES = 4096  # RFC 8030 §7.2: push services must accept at least this much; we accept no more
MAX_JWT_LIFETIME_S = 24 * 60 * 60  # RFC 8292 §2: exp no more than 24 hours from the request
HOLD_LIMIT_S = 5.0  # how long a held answer waits for its event before the double gives up
URGENCIES = {"very-low", "low", "normal", "high"}  # RFC 8030 §5.3
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030 §5.4


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def decrypt_aes128gcm(body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """The user agent's side of RFC 8291 (Web Push message encryption) over RFC 8188 (aes128gcm).

    Raises ValueError with the reason when the body is not a well-formed message for this key.
    """
    # RFC 8188 §2.1 header: salt(16) | rs(uint32) | idlen(1) | keyid(idlen); RFC 8291 §4: keyid is the
    # application server's ephemeral public key, 65 bytes uncompressed.
    if len(body) < 21:
        raise ValueError("body shorter than the aes128gcm header")
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    if idlen != 65 or len(body) < 21 + idlen:
        raise ValueError(f"keyid must be the sender's 65-byte public key, not {idlen} bytes")
    if rs < 18:
        raise ValueError(f"record size {rs} is below the minimum of 18")
    as_public_bytes, records = body[21 : 21 + idlen], body[21 + idlen :]
    as_public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public_bytes)
    ua_public_bytes = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    # RFC 8291 §3.3-3.4: the auth secret and both public keys go into the input keying material.
    ecdh_secret = private_key.exchange(ec.ECDH(), as_public)
    ikm = _hkdf(auth_secret, ecdh_secret, b"WebPush: info\x00" + ua_public_bytes + as_public_bytes, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    base_nonce = int.from_bytes(_hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12), "big")
    if not records:
        raise ValueError("no records")
    plaintext = bytearray()
    chunks = [records[i : i + rs] for i in range(0, len(records), rs)]
    for seq, chunk in enumerate(chunks):
        nonce = (base_nonce ^ seq).to_bytes(12, "big")  # RFC 8188 §2.3
        try:
            padded = AESGCM(cek).decrypt(nonce, chunk, None)
        except InvalidTag as exc:
            raise ValueError(f"record {seq} fails authentication") from exc
        # RFC 8188 §2: data | delimiter (2 = last record, 1 = any other) | zero padding.
        unpadded = padded.rstrip(b"\x00")
        last = seq == len(chunks) - 1
        if not unpadded or unpadded[-1] != (2 if last else 1):
            raise ValueError(f"record {seq} has a wrong padding delimiter")
        plaintext += unpadded[:-1]
    return bytes(plaintext)


@dataclass
class Subscriber:
    """The browser side of one push subscription."""

    path: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    application_server_key: str | None  # the VAPID key the subscription is bound to, if any
    messages: list[bytes] = field(default_factory=list)  # decrypted bodies the service accepted (2xx)

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(point)

    @property
    def auth(self) -> str:
        return b64url_encode(self.auth_secret)

    def to_json(self) -> dict[str, Any]:
        """The shape of the browser's PushSubscription.toJSON()."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def json_messages(self) -> list[Any]:
        return [json.loads(m) for m in self.messages]


@dataclass(frozen=True)
class Received:
    """One POST the double answered, well-formed or not."""

    path: str
    status: int
    reason: str  # why it was refused ("" when the protocol checks passed)
    headers: dict[str, str]  # lower-cased names
    claims: dict[str, Any] | None  # the verified JWT claims, when the signature checked out
    plaintext: bytes | None  # the decrypted body, when decryption succeeded


@dataclass
class _Rule:
    status: int
    retry_after: str | None
    times: int | None  # None = until replaced
    delay_s: float
    hold_until: threading.Event | None = None


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A sender that timed out has closed its socket before a delayed answer; that is the point.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class PushServiceDouble:
    """Thread-served HTTP push service. Start with start() / stop() or as a context manager."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._subscribers: dict[str, Subscriber] = {}
        self._rules: dict[str, list[_Rule]] = {}
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._origin: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> PushServiceDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                double._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="push-double", daemon=True
        )
        host, port = self._server.server_address[:2]
        self._origin = f"http://{host}:{port}"
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> PushServiceDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """scheme://host:port — the value a VAPID JWT's `aud` must carry (RFC 8292 §2)."""
        assert self._origin is not None, "start() the double first"
        return self._origin

    # -- test controls -----------------------------------------------------------------------

    def subscribe(self, *, application_server_key: str | None = None) -> Subscriber:
        """A new subscription, as a browser would create it: fresh P-256 key pair and auth secret.

        With `application_server_key`, pushes signed with any other VAPID key get 403, as from
        a real service for a subscription made with a different applicationServerKey.
        """
        path = f"/push/{b64url_encode(os.urandom(12))}"
        sub = Subscriber(
            path=path,
            endpoint=self.origin + path,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
            application_server_key=application_server_key,
        )
        with self._lock:
            self._subscribers[path] = sub
        return sub

    def respond_with(
        self,
        target: Subscriber | str,
        status: int,
        *,
        retry_after: str | None = None,
        times: int | None = None,
        delay_s: float = 0.0,
        hold_until: threading.Event | None = None,
    ) -> None:
        """Answer well-formed pushes to `target` (a Subscriber or endpoint path) with `status`.

        `times` limits the rule to that many requests, after which the next rule (or 201)
        applies; rules queue in the order given. `delay_s` holds the answer back (for timeouts).
        `hold_until` holds it until the test sets that event, and answers 504 if it is not set within
        HOLD_LIMIT_S (a sender that blocks the thread that would set it then fails visibly).
        The protocol checks always run first, so a scripted 410 still proves the request was valid.
        """
        path = target.path if isinstance(target, Subscriber) else target
        with self._lock:
            rules = self._rules.setdefault(path, [])
            if times is None:
                rules[:] = [r for r in rules if r.times is not None]
            rules.append(_Rule(status, retry_after, times, delay_s, hold_until))

    def refusals(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.reason]

    # -- the push service --------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in req.headers.items()}
        length = int(headers.get("content-length", "0") or 0)
        body = req.rfile.read(length) if length else b""
        claims: dict[str, Any] | None = None
        plaintext: bytes | None = None
        retry_after: str | None = None
        try:
            with self._lock:
                sub = self._subscribers.get(req.path)
            if sub is None:
                raise _Refused(404, "no such subscription")
            claims = self._check_vapid(headers.get("authorization"), sub)
            self._check_headers(headers, body)
            try:
                plaintext = decrypt_aes128gcm(body, sub.private_key, sub.auth_secret)
            except ValueError as exc:
                raise _Refused(400, f"body does not decrypt as aes128gcm: {exc!r}") from exc
            rule = self._next_rule(req.path)
            status, reason = 201, ""
            if rule is not None:
                if rule.delay_s:
                    time.sleep(rule.delay_s)
                status, retry_after = rule.status, rule.retry_after
                if rule.hold_until is not None and not rule.hold_until.wait(HOLD_LIMIT_S):
                    status, retry_after = 504, None
            if 200 <= status < 300:
                with self._lock:
                    sub.messages.append(plaintext)
        except _Refused as refused:
            status, reason = refused.status, refused.reason
        with self._lock:
            self.received.append(Received(req.path, status, reason, headers, claims, plaintext))
        self._answer(req, status, reason, retry_after)

    def _next_rule(self, path: str) -> _Rule | None:
        with self._lock:
            rules = self._rules.get(path)
            if not rules:
                return None
            rule = rules[0]
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    rules.pop(0)
            return rule

    def _check_vapid(self, authorization: str | None, sub: Subscriber) -> dict[str, Any]:
        # RFC 8292 §3: Authorization: vapid t=<JWT>, k=<base64url uncompressed P-256 point>
        if not authorization:
            raise _Refused(401, "missing Authorization")
        scheme, _, params_text = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise _Refused(401, f"Authorization scheme {scheme!r} is not vapid")
        params: dict[str, str] = {}
        for part in params_text.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                params[name.strip().lower()] = value.strip()
        token, k = params.get("t"), params.get("k")
        if not token or not k:
            raise _Refused(401, "vapid Authorization needs t= and k=")
        try:
            public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(k))
        except (ValueError, binascii.Error) as exc:
            raise _Refused(401, f"k is not a P-256 point: {exc}") from exc

        pieces = token.split(".")
        if len(pieces) != 3:
            raise _Refused(401, "t is not a JWS compact serialization")
        try:
            header = json.loads(b64url_decode(pieces[0]))
            claims = json.loads(b64url_decode(pieces[1]))
            signature = b64url_decode(pieces[2])
        except (ValueError, binascii.Error) as exc:
            raise _Refused(401, f"t does not decode: {exc}") from exc
        if header.get("alg") != "ES256":
            raise _Refused(401, f"JWT alg {header.get('alg')!r} is not ES256")
        if len(signature) != 64:  # JWS ES256 is raw r||s (RFC 7518 §3.4), not DER
            raise _Refused(401, "ES256 signature must be 64 bytes")
        der = utils.encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        try:
            public_key.verify(der, f"{pieces[0]}.{pieces[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise _Refused(401, "JWT signature does not verify with k") from exc

        if not isinstance(claims, dict):
            raise _Refused(401, "JWT claims are not an object")
        if claims.get("aud") != self.origin:
            raise _Refused(401, f"JWT aud {claims.get('aud')!r} is not this push service ({self.origin})")
        exp = claims.get("exp")
        now = self._clock()
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise _Refused(401, "JWT exp missing or not an integer")
        if exp <= now:
            raise _Refused(401, "JWT expired")
        if exp > now + MAX_JWT_LIFETIME_S:
            raise _Refused(401, "JWT exp more than 24 hours ahead")
        if not claims.get("sub"):
            raise _Refused(401, "JWT sub missing")
        if sub.application_server_key is not None and k != sub.application_server_key.rstrip("="):
            # RFC 8292 §4.2: key does not match the one the subscription was created with.
            raise _Refused(403, "k is not the applicationServerKey of this subscription")
        return claims

    def _check_headers(self, headers: dict[str, str], body: bytes) -> None:
        ttl = headers.get("ttl")
        if ttl is None:
            raise _Refused(400, "TTL header missing")  # RFC 8030 §5.2
        if not ttl.isdigit() or int(ttl) <= 0:
            # RFC 8030 allows 0, but EstateDesk's phones are often offline: TTL 0 loses reminders.
            raise _Refused(400, f"TTL must be a positive integer, got {ttl!r}")
        urgency = headers.get("urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise _Refused(400, f"Urgency {urgency!r} unknown")
        topic = headers.get("topic")
        if topic is not None and not TOPIC_RE.match(topic):
            raise _Refused(400, f"Topic {topic!r} invalid")
        encoding = headers.get("content-encoding")
        if encoding != "aes128gcm":
            raise _Refused(415, f"Content-Encoding {encoding!r} is not aes128gcm")  # RFC 8291 §4
        if not body:
            raise _Refused(400, "empty body")
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(413, f"body {len(body)} bytes exceeds {MAX_BODY_BYTES}")

    def _answer(self, req: BaseHTTPRequestHandler, status: int, reason: str, retry_after: str | None) -> None:
        text = reason.encode("utf-8")
        req.send_response(status)
        if status == 201:
            req.send_header("Location", f"{self.origin}/message/{b64url_encode(os.urandom(9))}")
        if retry_after is not None:
            req.send_header("Retry-After", retry_after)
        req.send_header("Content-Type", "text/plain; charset=utf-8")
        req.send_header("Content-Length", str(len(text)))
        req.end_headers()
        req.wfile.write(text)


@pytest.fixture
def push_service() -> Iterator[PushServiceDouble]:
    """A started push-service double on 127.0.0.1; stopped after the test."""
    with PushServiceDouble() as double:
        yield double
