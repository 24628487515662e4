"""The pointer (`channels/<env>.json`): which bundle an environment serves, its serial, its signature."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

POINTERS = "channels"
BUNDLES = "bundles"
MAX_POINTER_BYTES = 64_000
_HEX = re.compile(r"^[0-9a-f]{64}$")


class RefusedError(Exception):
    """A pointer or bundle that must never be served; the message is the reason, logged once."""


@dataclass(frozen=True, kw_only=True)
class Payload:
    env: str
    bundle: str  # sha256:<hex> of the bundle file's bytes
    serial: int
    created: str

    @property
    def digest(self) -> str:
        return self.bundle.removeprefix("sha256:")


@dataclass(frozen=True, kw_only=True)
class Pointer:
    payload: Payload
    signature: str
    key_id: str


def canonical(payload: Payload) -> bytes:
    """Return the bytes that are signed: the payload as canonical JSON (sorted keys, no spaces, UTF-8)."""
    data = {
        "env": payload.env,
        "bundle": payload.bundle,
        "serial": payload.serial,
        "created": payload.created,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def to_text(pointer: Pointer) -> str:
    """Return the pointer file's text (sorted keys, indented, trailing newline)."""
    payload = json.loads(canonical(pointer.payload))
    data = {"payload": payload, "signature": pointer.signature, "key_id": pointer.key_id}
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def bundle_digest(data: bytes) -> str:
    """Return `sha256:<hex>` of a bundle file's bytes (its name in `bundles/` is the hex)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def parse(data: bytes) -> Pointer:
    """Return the pointer in `data`; raise RefusedError naming what is wrong (signature not checked)."""
    if len(data) > MAX_POINTER_BYTES:
        raise RefusedError(f"the pointer is larger than {MAX_POINTER_BYTES} bytes")
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RefusedError("the pointer is not JSON (truncated or corrupt)") from None
    if not isinstance(found, dict):
        raise RefusedError("the pointer is not a JSON object")
    signature, key_id, payload = found.get("signature"), found.get("key_id"), found.get("payload")
    if not isinstance(signature, str) or not signature:
        raise RefusedError("the pointer is unsigned (no signature)")
    if not isinstance(key_id, str) or not isinstance(payload, dict):
        raise RefusedError("the pointer has no key_id or payload object")
    return Pointer(payload=_payload(payload), signature=signature, key_id=key_id)


def _payload(data: dict[str, Any]) -> Payload:
    env, bundle, serial, created = (data.get(k) for k in ("env", "bundle", "serial", "created"))
    if set(data) != {"env", "bundle", "serial", "created"}:
        raise RefusedError("the pointer's payload must hold exactly env, bundle, serial and created")
    if not isinstance(env, str) or not isinstance(created, str):
        raise RefusedError("the pointer's env and created must be strings")
    if (
        not isinstance(bundle, str)
        or not _HEX.match(bundle.removeprefix("sha256:"))
        or bundle[:7] != "sha256:"
    ):
        raise RefusedError("the pointer's bundle must be sha256:<64 hex digits>")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise RefusedError("the pointer's serial must be a non-negative integer")
    return Payload(env=env, bundle=bundle, serial=serial, created=created)
