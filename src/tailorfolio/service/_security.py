"""Passwords (argon2id), session/API tokens (random, stored as SHA-256) and CSRF tokens (HMAC).

Passwords are low-entropy and need a slow, memory-hard KDF (argon2id, argon2-cffi's defaults,
RFC 9106's second recommended option). Session tokens and API keys are 256-bit random values,
so a fast SHA-256 of them is enough to make a stolen database useless for signing in.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

def _hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB).

    ``TAILORFOLIO_INSECURE_FAST_PASSWORD_HASH=1`` selects argon2's cheapest parameters, for
    test suites only; hashes record their parameters, so either kind verifies afterwards.
    """
    if os.environ.get("TAILORFOLIO_INSECURE_FAST_PASSWORD_HASH") == "1":
        from argon2.profiles import CHEAPEST

        return PasswordHasher.from_parameters(CHEAPEST)
    return PasswordHasher()


_HASHER = _hasher()
API_KEY_PREFIX = "tfk_"


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string with salt and parameters) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; constant-time inside argon2."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = hash_password("timing-equaliser-not-a-password")


def burn_verify_time(password: str) -> None:
    """Spend the time of a real verification (unknown e-mail: no user-enumeration by timing)."""
    verify_password(_DUMMY_HASH, password)


def new_token() -> str:
    """A fresh 256-bit URL-safe random token."""
    return secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """``(key, prefix)``: the key is shown once; the prefix identifies it in listings."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(API_KEY_PREFIX) + 6]


def token_hash(token: str) -> str:
    """SHA-256 hex digest of a token or API key (what the database stores)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, nonce: str, session: str | None = None) -> str:
    """The form token for the browser's CSRF ``nonce`` cookie and its sign-in ``session``
    (HMAC-SHA-256 under the instance secret): a token is valid only with the session it was
    issued for, so it dies at sign-out and a token from another session is refused."""
    bound = token_hash(session) if session else "-"
    return hmac.new(secret.encode(), f"csrf|{nonce}|{bound}".encode(),
                    hashlib.sha256).hexdigest()


def csrf_valid(secret: str, nonce: str | None, submitted: str | None,
               session: str | None = None) -> bool:
    """Whether the submitted form token belongs to the cookie ``nonce`` and ``session``."""
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce, session), submitted)
