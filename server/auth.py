"""Access tokens and share tokens."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

TOKEN_BYTES = 24
TOKEN_FILE = "token"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def load_or_create_token(data_dir: Path, configured: str | None) -> str:
    """The configured token, else the one kept in the data dir (made on first run, 0600)."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / TOKEN_FILE
    if path.is_file():
        token = path.read_text(encoding="ascii").strip()
        if token:
            return token
    token = new_token()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return token


def same(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; ``None`` on either side never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None
