"""Canonical bytes (RFC 8785) and Ed25519 signatures."""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from commitments import signing
from commitments.canonical import FORMAT_VERSION, canonical_bytes, document_hash
from commitments.errors import CanonicalError, SignatureError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_canonical_bytes_are_rfc8785(value):
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_known_canonical_form():
    doc = {"v": FORMAT_VERSION, "b": [1.0, 0.5, 1e21], "a": "标准地", "\u00e9": None, "A": True}
    assert (
        canonical_bytes(doc) == '{"A":true,"a":"标准地","b":[1,0.5,1e+21],"v":1,"é":null}'.encode()
    )
    assert document_hash(doc) == document_hash(dict(reversed(list(doc.items()))))


@pytest.mark.parametrize(
    "bad", [{"x": math.nan}, {"x": [math.inf]}, {"x": 2**60}, {1: "non-string key"}]
)
def test_values_without_a_canonical_form_are_refused_by_path(bad):
    with pytest.raises(CanonicalError, match=r"\$"):
        canonical_bytes(bad)


def test_sign_and_verify_and_fingerprints():
    key = signing.generate()
    pub = signing.public_of(key)
    message = canonical_bytes({"v": 1, "number": "CN-2026-000001"})
    sig = signing.sign(key, message)
    assert signing.verify(pub, sig, message)
    assert not signing.verify(pub, sig, message + b" ")
    assert not signing.verify(signing.public_of(signing.generate()), sig, message)
    assert not signing.verify(pub, "not base64!", message)
    assert len(pub.fingerprint) == 64
    # the same key read back from PEM, base64 and hex has the same fingerprint
    for text in (pub.pem(), pub.b64, pub.raw.hex()):
        assert signing.load_public(text).fingerprint == pub.fingerprint
    assert signing.load_private_pem(signing.private_pem(key)).sign(b"x") == key.sign(b"x")
    assert signing.grouped("0123456789abcdef", 2) == "0123 4567"


@pytest.mark.parametrize(
    "text", ["", "abc", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "00" * 31]
)
def test_malformed_public_keys_are_named(text):
    with pytest.raises(SignatureError, match="alice"):
        signing.load_public(text, "alice")


def test_a_non_ed25519_private_key_is_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(SignatureError, match="Ed25519"):
        signing.load_private_pem(pem, "ec.pem")
    with pytest.raises(SignatureError, match="64-byte"):
        signing.decode_signature("AAAA")
