"""Ed25519 keys, signatures and key ids: the only user of `cryptography`, imported only when needed."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from promptops.errors import InputError
from promptops.version import __version__

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_ENV = "PROMPTOPS_SIGNING_KEY"
PRIVATE_FILE = "promptops-signing.key"
PUBLIC_FILE = "promptops-signing.pub"
# promptops-cli is not on PyPI yet: the extra installs from the release tag
EXTRA = (
    f'pip install "promptops-cli[channel] @ git+https://github.com/promptops/promptops-cli@v{__version__}"'
)
PEM_START = "-----BEGIN"


@dataclass(frozen=True, kw_only=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _ed25519() -> object:
    import importlib

    try:
        return importlib.import_module("cryptography.hazmat.primitives.asymmetric.ed25519")
    except ImportError:
        raise InputError(
            "signed channels need the `cryptography` package, which is not installed",
            hint=f"install the channel extra: {EXTRA}",
        ) from None


def generate() -> KeyPair:
    """Return a new Ed25519 key pair as PEM text (private key: PKCS#8, unencrypted)."""
    _ed25519()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private_pem=private.decode("ascii"), public_pem=public.decode("ascii"))


def write_pair(folder: Path, pair: KeyPair) -> tuple[Path, Path]:
    """Write the key pair into `folder` (the private key with mode 0600); return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / PRIVATE_FILE, folder / PUBLIC_FILE
    for path in (private, public):
        if path.exists():
            raise InputError(f"{path}: already exists; keygen never overwrites a key")
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pair.private_pem)
    public.write_text(pair.public_pem, encoding="ascii")
    return private, public


def signing_key_text(key_file: str | None) -> tuple[str, str]:
    """Return the private key PEM and where it came from: `--key-file`, else PROMPTOPS_SIGNING_KEY."""
    if key_file is not None:
        try:
            return Path(key_file).read_text(encoding="ascii"), key_file
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not a PEM text file"
            raise InputError(f"{key_file}: cannot read the signing key: {reason}") from None
    text = os.environ.get(KEY_ENV)
    if not text:
        raise InputError(
            f"no signing key: pass --key-file PATH or set {KEY_ENV} to the private key's PEM text",
            hint="`promptops keygen` writes a key pair",
        )
    return text, KEY_ENV


def _private(text: str, label: str) -> Ed25519PrivateKey:
    _ed25519()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(text.encode("ascii", "replace"), password=None)
    except (ValueError, TypeError):
        raise InputError(f"{label}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{label}: not an Ed25519 key; `promptops keygen` writes one")
    return key


def public_key_text(value: str | os.PathLike[str]) -> str:
    """Return the public key PEM of `value`: PEM text itself, else the path of a PEM file."""
    text = os.fspath(value)
    if text.lstrip().startswith(PEM_START):
        return text
    try:
        return Path(text).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not a PEM text file"
        raise InputError(f"public_key={text!r}: neither PEM text nor a readable file: {reason}") from None


def _public(text: str) -> Ed25519PublicKey:
    _ed25519()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(text.encode("ascii", "replace"))
    except (ValueError, TypeError):
        raise InputError("public_key: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("public_key: not an Ed25519 key; use the .pub file `promptops keygen` wrote")
    return key


def check_public(text: str) -> None:
    """Raise InputError unless `text` is an Ed25519 public key in PEM."""
    _public(text)


def key_id(public_pem: str) -> str:
    """Return the key id: the first 16 hex digits of sha256 over the raw 32-byte public key."""
    _ed25519()
    from cryptography.hazmat.primitives import serialization

    raw = _public(public_pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(private_pem: str, label: str, message: bytes) -> tuple[str, str]:
    """Return the base64 Ed25519 signature of `message` and the signing key's id."""
    from cryptography.hazmat.primitives import serialization

    key = _private(private_pem, label)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(key.sign(message)).decode("ascii"), key_id(public.decode("ascii"))


def verify(public_pem: str, message: bytes, signature: str) -> bool:
    """Return whether `signature` (base64) is the Ed25519 signature of `message` by this public key."""
    _ed25519()
    from cryptography.exceptions import InvalidSignature

    key = _public(public_pem)
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, message)
    except (InvalidSignature, ValueError):
        return False
    return True
