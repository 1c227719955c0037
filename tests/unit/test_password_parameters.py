"""The production password hash meets OWASP's Password Storage Cheat Sheet minimum for argon2id
(docs/security.md, "Password hashes"): at least one of its listed (memory, iterations) pairs, one
lane or more, the argon2id type — a change below it fails here."""
from __future__ import annotations

from argon2 import Type

from services.accounts.users import PRODUCTION_HASHER

OWASP_MINIMUMS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))  # (KiB, iterations)


def test_the_production_hasher_is_argon2id_at_or_above_an_owasp_setting():
    h = PRODUCTION_HASHER
    assert h.type is Type.ID and h.parallelism >= 1
    assert any(h.memory_cost >= m and h.time_cost >= t for m, t in OWASP_MINIMUMS), (h.memory_cost, h.time_cost)


def test_a_hash_made_with_the_old_parameters_still_verifies_and_asks_to_be_rehashed():
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("旧密码-12345678")
    assert PRODUCTION_HASHER.verify(old, "旧密码-12345678")
    assert PRODUCTION_HASHER.check_needs_rehash(old)
    assert not PRODUCTION_HASHER.check_needs_rehash(PRODUCTION_HASHER.hash("新密码-12345678"))
