"""Presigned chunk URLs: the engine's stand-in for an object store's signed PUT URLs.

A URL names one chunk of one upload and an expiry instant; an HMAC-SHA256 over the
three, keyed by a secret that only this engine holds, proves the engine issued it. The
secret lives in the data directory (mode 0600), so URLs survive a restart of the same
engine and mean nothing to another one. A PUT needs no API key: like a real presigned
URL, the signature is the credential, so clients must not send their key there.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_BYTES = 32


def load_secret(path: Path) -> bytes:
    """The engine's signing secret, created on first use."""
    try:
        data = path.read_bytes()
        if len(data) == SECRET_BYTES:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(SECRET_BYTES)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    os.replace(tmp, path)
    return secret


class UrlSigner:
    """Signs and checks ``(upload_id, chunk_index, expires_ms)``."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, upload_id: str, index: int, expires_ms: int) -> str:
        msg = f"{upload_id}\n{index}\n{expires_ms}".encode()
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def check(
        self, upload_id: str, index: int, expires: str, signature: str, now_ms: int
    ) -> str | None:
        """``None`` when the URL is genuine and unexpired, else why not:
        ``signature_invalid`` or ``presigned_url_expired``."""
        if not expires.isdigit() or len(expires) > 16:
            return "signature_invalid"
        expected = self.sign(upload_id, index, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "signature_invalid"
        if int(expires) <= now_ms:
            return "presigned_url_expired"
        return None
