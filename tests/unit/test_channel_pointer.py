"""The pointer format: the signed bytes, parsing with reasons, serials that only go up."""

from __future__ import annotations

import json

import pytest

from promptops.channel import pointer, signing
from promptops.channel.publish import next_serial

PAYLOAD = pointer.Payload(
    env="production", bundle="sha256:" + "ab" * 32, serial=7, created="2026-12-07T16:00:00.000Z"
)


def test_the_signed_bytes_are_canonical_json() -> None:
    assert pointer.canonical(PAYLOAD) == (
        b'{"bundle":"sha256:'
        + b"ab" * 32
        + b'","created":"2026-12-07T16:00:00.000Z","env":"production","serial":7}'
    )


def test_a_pointer_round_trips_and_verifies() -> None:
    keys = signing.generate()
    signature, key_id = signing.sign(keys.private_pem, "k", pointer.canonical(PAYLOAD))
    text = pointer.to_text(pointer.Pointer(payload=PAYLOAD, signature=signature, key_id=key_id))
    assert text.endswith("}\n") and json.loads(text)["key_id"] == signing.key_id(keys.public_pem)
    parsed = pointer.parse(text.encode())
    assert parsed.payload == PAYLOAD
    assert signing.verify(keys.public_pem, pointer.canonical(parsed.payload), parsed.signature)
    assert not signing.verify(signing.generate().public_pem, pointer.canonical(parsed.payload), signature)
    assert not signing.verify(keys.public_pem, pointer.canonical(parsed.payload), "not base64!")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the pointer is not JSON (truncated or corrupt)"),
        (b"\xff", "the pointer is not JSON (truncated or corrupt)"),
        (b"[]", "the pointer is not a JSON object"),
        (b'{"payload": {}}', "the pointer is unsigned (no signature)"),
        (b'{"payload": [], "signature": "x", "key_id": "k"}', "the pointer has no key_id or payload object"),
        (
            b'{"payload": {"env": "p"}, "signature": "x", "key_id": "k"}',
            "the pointer's payload must hold exactly env, bundle, serial and created",
        ),
        (
            b'{"payload": {"env": "p", "bundle": "md5:1", "serial": 1, "created": "t"}, "signature": "x", '
            b'"key_id": "k"}',
            "the pointer's bundle must be sha256:<64 hex digits>",
        ),
        (
            b'{"payload": {"env": "p", "bundle": "sha256:'
            + b"0" * 64
            + b'", "serial": true, "created": "t"}, '
            b'"signature": "x", "key_id": "k"}',
            "the pointer's serial must be a non-negative integer",
        ),
        (b" " * 64_001, "the pointer is larger than 64000 bytes"),
    ],
)
def test_a_bad_pointer_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(pointer.RefusedError) as caught:
        pointer.parse(data)
    assert str(caught.value) == reason


def test_a_serial_goes_up_from_the_folder_or_the_clock() -> None:
    assert next_serial(None, 1_000) == 1_000
    assert next_serial(5_000, 1_000) == 5_001  # a later serial in the folder (a fast clock elsewhere)
    assert next_serial(999, 1_000) == 1_000
