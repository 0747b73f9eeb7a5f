"""The push-service double's own RFC 8291 decrypter: proven on the RFC's example, not on the sender.

The delivery tests trust the double to say whether the server's ciphertext is what a browser can
read. That is only worth something if the double's decryption is right independently of
pywebpush/http_ece, so it is checked here against the published example and against tampering.
"""

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.pushservice_double import b64url_decode, decrypt_aes128gcm

# RFC 8291 §5 (and Appendix A): the user agent's keys and the message the application server sent.
RFC_PLAINTEXT = b"When I grow up, I want to be a watermelon"
RFC_UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
RFC_AUTH_SECRET = "BTBZMqHH6r4Tts7J_aSIgg"
RFC_BODY = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
    "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)


def _rfc_ua_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(RFC_UA_PRIVATE), "big"), ec.SECP256R1())


def test_rfc_8291_example_message_decrypts_to_its_plaintext():
    body = b64url_decode(RFC_BODY)
    assert decrypt_aes128gcm(body, _rfc_ua_key(), b64url_decode(RFC_AUTH_SECRET)) == RFC_PLAINTEXT


def test_one_flipped_ciphertext_bit_is_refused():
    body = bytearray(b64url_decode(RFC_BODY))
    body[-5] ^= 0x01
    with pytest.raises(ValueError, match="authentication"):
        decrypt_aes128gcm(bytes(body), _rfc_ua_key(), b64url_decode(RFC_AUTH_SECRET))


def test_a_message_for_another_auth_secret_is_refused():
    with pytest.raises(ValueError, match="authentication"):
        decrypt_aes128gcm(b64url_decode(RFC_BODY), _rfc_ua_key(), bytes(16))


def test_a_header_without_the_senders_key_is_refused():
    body = bytearray(b64url_decode(RFC_BODY))
    body[20] = 0  # idlen: no keyid
    with pytest.raises(ValueError, match="65-byte public key"):
        decrypt_aes128gcm(bytes(body), _rfc_ua_key(), b64url_decode(RFC_AUTH_SECRET))


@pytest.mark.parametrize("rs", [18, 25, 4096])
def test_messages_split_over_several_records_decrypt_in_order(rs):
    # http_ece (what pywebpush uses) writes the records; the double must read every record size.
    ua = ec.generate_private_key(ec.SECP256R1())
    ua_public = ua.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    auth = bytes(range(16))
    text = "维修工已到达 3-1201，漏水已止住。".encode() * 3
    body = http_ece.encrypt(
        text, private_key=ec.generate_private_key(ec.SECP256R1()), dh=ua_public, auth_secret=auth,
        version="aes128gcm", rs=rs,
    )
    assert decrypt_aes128gcm(body, ua, auth) == text
