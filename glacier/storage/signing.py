"""HMAC signatures for pickle payloads, with a per-user key kept outside the project.

The key lives in ``$GLACIER_SIGNING_KEY_FILE``, else ``$XDG_CONFIG_HOME/glacier/signing-key``
(``~/.config/glacier/signing-key``); it is created (32 random bytes, mode 0600) on first
use. A payload whose signature does not verify is never unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

_MAGIC = b"GLACIER-SIGNED-PICKLE-1\n"
_DIGEST = hashlib.sha256().digest_size


def key_file() -> Path:
    """Where the signing key lives."""
    explicit = os.environ.get("GLACIER_SIGNING_KEY_FILE")
    if explicit:
        return Path(explicit).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "glacier" / "signing-key"


def signing_key() -> bytes:
    """The user's key, created on first use."""
    path = key_file()
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
    if len(key) < 16:
        raise ValueError(f"the signing key in {path} is shorter than 16 bytes")
    return key


def sign(payload: bytes) -> bytes:
    """``payload`` with a header and its HMAC-SHA256 signature."""
    return _MAGIC + hmac.new(signing_key(), payload, hashlib.sha256).digest() + payload


def verify(signed: bytes) -> bytes:
    """The payload of ``signed``.

    Raises:
        ValueError: if it is not signed, or not with this user's key.
    """
    if not signed.startswith(_MAGIC):
        raise ValueError("the pickle is not signed by Glacier; refusing to unpickle it")
    start = len(_MAGIC)
    signature, payload = signed[start : start + _DIGEST], signed[start + _DIGEST :]
    expected = hmac.new(signing_key(), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise ValueError(
            "the pickle's signature does not match your signing key "
            f"({key_file()}); refusing to unpickle it"
        )
    return payload
