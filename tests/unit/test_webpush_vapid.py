"""The VAPID key store: made once, kept private, loaded unchanged (RFC 8292; issue "Push reminders")."""

import base64
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.notify.vapid import PRIVATE_KEY_FILENAME, VapidKeyError, load_or_create_vapid_keys


def test_first_start_creates_a_private_key_file_readable_only_by_the_owner(tmp_path):
    key_dir = tmp_path / "data" / "keys"
    load_or_create_vapid_keys(key_dir)
    assert stat.S_IMODE((key_dir / PRIVATE_KEY_FILENAME).stat().st_mode) == 0o600
    assert stat.S_IMODE(key_dir.stat().st_mode) & 0o077 == 0
    assert [p.name for p in key_dir.iterdir()] == [PRIVATE_KEY_FILENAME]  # no temp file left behind


def test_next_start_loads_the_same_key_so_subscriptions_stay_valid(tmp_path):
    first = load_or_create_vapid_keys(tmp_path)
    second = load_or_create_vapid_keys(tmp_path)
    assert first.application_server_key == second.application_server_key


def test_application_server_key_is_base64url_uncompressed_p256_point(tmp_path):
    keys = load_or_create_vapid_keys(tmp_path)
    text = keys.application_server_key
    assert "=" not in text and "+" not in text and "/" not in text
    point = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    assert len(point) == 65 and point[0] == 0x04
    expected = keys.private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert point == expected


def test_loose_permissions_on_an_existing_key_are_tightened(tmp_path):
    load_or_create_vapid_keys(tmp_path)
    path = tmp_path / PRIVATE_KEY_FILENAME
    os.chmod(path, 0o644)
    load_or_create_vapid_keys(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unreadable_key_is_an_error_not_silently_replaced(tmp_path):
    path = tmp_path / PRIVATE_KEY_FILENAME
    path.write_bytes(b"not a key")
    os.chmod(path, 0o600)
    with pytest.raises(VapidKeyError):
        load_or_create_vapid_keys(tmp_path)
    assert path.read_bytes() == b"not a key"


def test_key_on_another_curve_is_rejected(tmp_path):
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / PRIVATE_KEY_FILENAME
    path.write_bytes(pem)
    os.chmod(path, 0o600)
    with pytest.raises(VapidKeyError):
        load_or_create_vapid_keys(tmp_path)


def test_racing_first_starts_agree_on_one_key(tmp_path):
    # Several server processes may start at once on a fresh data dir (design.md, Scale).
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: load_or_create_vapid_keys(tmp_path).application_server_key, range(16)))
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [PRIVATE_KEY_FILENAME]
