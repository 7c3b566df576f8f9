"""Argon2id password hashing with OWASP parameters; hashes are upgraded on login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


# Checked when the e-mail is unknown, so a failed login costs the same either way.
DUMMY_HASH = HASHER.hash("kepu-review: no such user")


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Check a password; returns (ok, new_hash) where new_hash is set when parameters changed."""
    if not stored:
        return False, None
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, HASHER.hash(password) if HASHER.check_needs_rehash(stored) else None
