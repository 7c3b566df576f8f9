"""Argon2id hashing with OWASP parameters, upgraded on login when parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher

from review import passwords


def test_hash_is_argon2id_with_owasp_parameters():
    stored = passwords.hash_password("正确的密码 horse")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert passwords.verify_password(stored, "正确的密码 horse") == (True, None)
    assert passwords.verify_password(stored, "wrong")[0] is False
    assert passwords.verify_password("not-a-hash", "x") == (False, None)
    assert passwords.verify_password(None, "x") == (False, None)


def test_outdated_hash_is_replaced_on_verify():
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("secret-pass")
    ok, new_hash = passwords.verify_password(old, "secret-pass")
    assert ok
    assert new_hash is not None and "m=19456,t=2,p=1" in new_hash
