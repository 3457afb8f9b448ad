"""The keys: the platform key (the PEM file named by ``ONETRIP_ADMIN_SIGNING_KEY``, else one
generated once and kept in ``app_secrets``), the enterprises' registered public keys, and the
published list of both.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, Owned, can
from approvals.orm import EnterpriseRow
from commitments import signing
from commitments.errors import CommitmentAccessDenied, CommitmentError, SignatureError
from commitments.orm import SigningKeyRow
from storage.audit import record

ADMIN_KEY_ENV = "ONETRIP_ADMIN_SIGNING_KEY"
PLATFORM_SECRET = "commitment_platform_key"


@dataclass(frozen=True)
class PlatformKey:
    private: Ed25519PrivateKey
    public: signing.PublicKey

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint


_KEYS: dict[str, PlatformKey] = {}


_KEYS_LOCK = threading.Lock()
#: The administration's key file, when the deployment configures one (``use_admin_key_file``).
_admin_key_file: str | None = None


def use_admin_key_file(path: str | None) -> None:
    """Take the administration's key from ``path`` (set once by the composition root from the
    settings' ``ONETRIP_ADMIN_SIGNING_KEY``); ``None``: the key kept in the database."""
    global _admin_key_file
    _admin_key_file = path


def platform_key(session: Session, pem_path: str | None = None) -> PlatformKey:
    """The administration's key pair: from ``pem_path`` (or ``$ONETRIP_ADMIN_SIGNING_KEY``), else
    generated once and kept in the database.  Its public key is registered (owner
    ``platform``) so that verification finds it by fingerprint even after a key change.

    Raises
    ------
    SignatureError
        When the configured file is missing or is not an Ed25519 private key.
    """
    from access.orm import AppSecretRow

    path = pem_path or _admin_key_file
    if path:
        try:
            pem = Path(path).read_bytes()
        except OSError as e:
            raise SignatureError(
                f"{ADMIN_KEY_ENV}={path}：无法读取（{e.strerror}）",
                f"{ADMIN_KEY_ENV}={path}: cannot read it ({e.strerror})",
            ) from None
        cache_key = "file:" + hashlib.sha256(pem).hexdigest()
    else:
        row = session.get(AppSecretRow, PLATFORM_SECRET)
        if row is None:
            row = AppSecretRow(name=PLATFORM_SECRET, value=signing.private_pem(signing.generate()))
            session.add(row)
            session.flush()
        pem = row.value.encode()
        cache_key = "db:" + hashlib.sha256(pem).hexdigest()
    with _KEYS_LOCK:
        key = _KEYS.get(cache_key)
        if key is None:
            private = signing.load_private_pem(pem, path or PLATFORM_SECRET)
            key = PlatformKey(private, signing.public_of(private))
            _KEYS[cache_key] = key
    if session.get(SigningKeyRow, key.fingerprint) is None:
        session.add(
            SigningKeyRow(
                fingerprint=key.fingerprint,
                owner="platform",
                public_key=key.public.b64,
                label="行政服务中心（平台）签名密钥 platform signing key",
            )
        )
        session.flush()
    return key


def register_enterprise_key(
    session: Session,
    actor: Actor,
    public_key: str,
    *,
    label: str = "",
    enterprise_id: int | None = None,
) -> SigningKeyRow:
    """Register an enterprise's Ed25519 public key (PEM, base64 or hex).  An enterprise
    registers its own; an administrator may register one on an enterprise's behalf.

    Raises
    ------
    SignatureError
        A malformed key, or a key already registered to someone else.
    CommitmentAccessDenied
        Any other role.
    """
    if not can(actor, Action.COMMITMENT_KEY_REGISTER):
        raise CommitmentAccessDenied(
            "只有企业或管理员可以登记企业公钥",
            "only an enterprise or an administrator may register a key",
        )
    if not can(actor, Action.COMMITMENT_KEY_REGISTER, Owned()):  # scoped: its own key only
        enterprise_id = actor.enterprise_id
    if enterprise_id is None or session.get(EnterpriseRow, enterprise_id) is None:
        raise CommitmentError(
            f"企业 {enterprise_id} 不存在", f"enterprise {enterprise_id} does not exist"
        )
    key = signing.load_public(public_key, "public_key")
    existing = session.get(SigningKeyRow, key.fingerprint)
    if existing is not None:
        if existing.owner == "enterprise" and existing.enterprise_id == enterprise_id:
            return existing
        raise SignatureError(
            f"公钥 {key.fingerprint[:16]}… 已登记给其他主体",
            f"key {key.fingerprint[:16]}… is registered to someone else",
        )
    row = SigningKeyRow(
        fingerprint=key.fingerprint,
        owner="enterprise",
        enterprise_id=enterprise_id,
        public_key=key.b64,
        label=label[:200],
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.key.register",
        entity="key",
        entity_id=key.fingerprint[:64],
        after={"enterprise_id": enterprise_id, "fingerprint": key.fingerprint},
    )
    return row


def public_keys(session: Session) -> dict[str, signing.PublicKey]:
    return {
        r.fingerprint: signing.load_public(r.public_key, r.fingerprint)
        for r in session.scalars(select(SigningKeyRow))
    }
