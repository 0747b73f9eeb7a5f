"""The server's VAPID identity (RFC 8292): one P-256 key pair, created on first start, kept on disk."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger(__name__)

PRIVATE_KEY_FILENAME = "vapid_private_key.pem"
_FILE_MODE = 0o600
_DIR_MODE = 0o700


class VapidKeyError(Exception):
    """The stored VAPID key is unusable; replacing it would orphan every phone's subscription."""


@dataclass(frozen=True, slots=True)
class VapidKeys:
    private_key: ec.EllipticCurvePrivateKey

    @property
    def application_server_key(self) -> str:
        """The public key as the browser wants it: base64url (no padding) of the uncompressed point.

        This is the `applicationServerKey` for `pushManager.subscribe()` (RFC 8292 §3.2).
        """
        return application_server_key(self.private_key)


def application_server_key(private_key: ec.EllipticCurvePrivateKey) -> str:
    point = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode("ascii")


def load_or_create_vapid_keys(key_dir: Path) -> VapidKeys:
    """Load the key pair from `key_dir`, creating it (mode 0600) if this is the first start.

    Every push subscription is bound to this public key, so the key must survive restarts and
    must never be silently regenerated: an unreadable key file is an error, not a reason to
    make a new one. Several server processes may start at once; exactly one key wins.
    """
    key_dir.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    path = key_dir / PRIVATE_KEY_FILENAME
    if not path.exists():
        _create(path)
    return VapidKeys(_load(path))


def _create(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Write a private temp file, then hard-link it into place: the link is atomic and fails if
    # another process got there first, so no process ever reads a half-written key and two
    # racing first starts agree on one key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    try:
        os.fchmod(fd, _FILE_MODE)  # the umask cannot widen 0600, but a pre-set ACL default might
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
        log.info("created VAPID key %s", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _load(path: Path) -> ec.EllipticCurvePrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("VAPID key %s had mode %o; tightening to 0600", path, mode)
        path.chmod(_FILE_MODE)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise VapidKeyError(f"{path} is not a readable PEM private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError(f"{path} is not a P-256 key; VAPID requires P-256 (RFC 8292 §3.2)")
    return key
