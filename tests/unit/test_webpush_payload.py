"""The reminder payload the service worker reads (issue "Push reminders")."""

import json

import pytest

from server.notify.webpush import (
    MAX_PAYLOAD_BYTES,
    PayloadTooLarge,
    PushSubscription,
    encode_payload,
    reminder_payload,
    send,
)


def test_reminder_payload_tags_by_case_so_repeats_replace_each_other():
    payload = reminder_payload(case_id=42, job_id=7, kind="follow_up", title="Leak", body="Unit 3-1201")
    assert payload == {
        "title": "Leak",
        "body": "Unit 3-1201",
        "tag": "case-42",
        "url": "/#/job/7",
        "case_id": 42,
        "job_id": 7,
        "kind": "follow_up",
    }


@pytest.mark.parametrize("char", ["x", "漏", '"', "\n"])
def test_long_text_is_shortened_to_fit_the_size_limit(char):
    payload = reminder_payload(case_id=1, job_id=2, kind="deadline", title=char * 5000, body=char * 5000)
    assert len(encode_payload(payload)) <= MAX_PAYLOAD_BYTES
    assert payload["body"] == "" and payload["title"].endswith("…")
    assert json.loads(encode_payload(payload)) == payload


def test_chinese_text_is_sent_as_utf8_not_escapes():
    assert encode_payload({"body": "水管漏水"}) == '{"body":"水管漏水"}'.encode()


def test_oversized_payload_is_refused_before_any_network_call():
    sub = PushSubscription("http://127.0.0.1:9/push/x", "p", "a")
    with pytest.raises(PayloadTooLarge):
        send(sub, {"body": "x" * MAX_PAYLOAD_BYTES}, vapid_private_key=None)  # type: ignore[arg-type]


def test_ttl_zero_is_refused_because_offline_phones_would_never_get_the_reminder():
    sub = PushSubscription("http://127.0.0.1:9/push/x", "p", "a")
    with pytest.raises(ValueError, match="ttl"):
        send(sub, {"body": "x"}, vapid_private_key=None, ttl=0)  # type: ignore[arg-type]
