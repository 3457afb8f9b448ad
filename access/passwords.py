"""Password hashing: argon2id (argon2-cffi); only the hash is stored."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: argon2id at the OWASP Password Storage Cheat Sheet's configuration (19 MiB, 2 iterations, 1
#: lane): ~18 ms a login on this hardware instead of ~100 ms with argon2-cffi's defaults, which
#: made a morning's wave of logins the slowest thing the server does.  Stored hashes carry their
#: own parameters, so hashes made with other settings still verify.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A valid hash to verify against when the user does not exist, so that a wrong username costs
# the same time as a wrong password (no user enumeration by timing).
DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
