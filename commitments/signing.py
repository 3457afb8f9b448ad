"""Ed25519 keys and signatures (``cryptography``), and key fingerprints.

A key's **fingerprint** is the hex SHA-256 of its raw 32-byte public key (so anyone can compute
it from the published key); it is shown grouped (``ab12 cd34 …``) on documents.  Signatures are
64 raw bytes, carried as standard base64.  The platform never needs an enterprise's private key:
the enterprise signs the canonical bytes locally (:func:`sign`, ``onetrip commitments sign``) and
submits the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from commitments.errors import SignatureError

ALGORITHM = "Ed25519"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key with its fingerprint."""

    raw: bytes  # 32 bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode()

    def pem(self) -> str:
        return (
            Ed25519PublicKey.from_public_bytes(self.raw)
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's over ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def fingerprint(raw_public: bytes) -> str:
    """Hex SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public).hexdigest()


def grouped(fp: str, groups: int = 8) -> str:
    """The first ``groups`` × 4 hex digits in groups of four, for reading aloud."""
    return " ".join(fp[i : i + 4] for i in range(0, min(len(fp), groups * 4), 4))


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_of(key: Ed25519PrivateKey) -> PublicKey:
    return PublicKey(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def load_private_pem(data: bytes | str, source: str = "key") -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8, unencrypted).

    Raises
    ------
    SignatureError
        Naming ``source`` when it is not an unencrypted Ed25519 private key.
    """
    raw = data.encode() if isinstance(data, str) else data
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as e:
        raise SignatureError(
            f"{source}：不是可用的 PEM 私钥（{e}）", f"{source}: not a usable PEM private key ({e})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(
            f"{source}：不是 Ed25519 私钥", f"{source}: not an Ed25519 private key"
        )
    return key


def load_public(data: bytes | str, source: str = "public key") -> PublicKey:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo), base64 of the 32 raw bytes, or
    64 hex digits.

    Raises
    ------
    SignatureError
        Naming ``source`` when the text is none of these.
    """
    text = data.decode() if isinstance(data, bytes) else data
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as e:
            raise SignatureError(
                f"{source}：不是可用的 PEM 公钥（{e}）",
                f"{source}: not a usable PEM public key ({e})",
            ) from None
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureError(
                f"{source}：不是 Ed25519 公钥", f"{source}: not an Ed25519 public key"
            )
        return PublicKey(
            key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
    raw: bytes | None = None
    if len(text) == 64:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != 32:
        raise SignatureError(
            f"{source}：应为 PEM、32 字节的 base64 或 64 位十六进制 Ed25519 公钥",
            f"{source}: expected an Ed25519 public key as PEM, base64 of 32 bytes or 64 hex digits",
        )
    return PublicKey(raw)


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """Base64 of the Ed25519 signature of ``message``."""
    return base64.b64encode(key.sign(message)).decode()


def decode_signature(value: str, source: str = "signature") -> bytes:
    """The 64 raw bytes of a base64 signature.

    Raises
    ------
    SignatureError
        When it is not base64 of 64 bytes.
    """
    try:
        raw = base64.b64decode((value or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        raise SignatureError(
            f"{source}：应为 64 字节 Ed25519 签名的 base64",
            f"{source}: expected base64 of a 64-byte Ed25519 signature",
        )
    return raw


def verify(public: PublicKey, signature_b64: str, message: bytes) -> bool:
    """Whether the base64 signature is ``public``'s over ``message`` (False when malformed)."""
    try:
        raw = decode_signature(signature_b64)
    except SignatureError:
        return False
    return public.verify(raw, message)
