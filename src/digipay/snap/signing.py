"""SNAP signatures.

- Access token (B2B): ``X-SIGNATURE`` = base64 SHA256withRSA over ``clientId|X-TIMESTAMP``.
- Transactions (symmetric): base64 HMAC-SHA512 with the client secret over
  ``METHOD:relativePath:accessToken:lowerhex(sha256(minified body)):X-TIMESTAMP``.
- Notifications and other asymmetric service signatures: base64 SHA256withRSA over
  ``METHOD:relativePath:lowerhex(sha256(minified body)):X-TIMESTAMP``.

The body is minified with ``separators=(",", ":")`` and ``ensure_ascii=False`` in its own key
order; an empty body hashes the empty string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def minify(body: Mapping[str, Any] | str | None) -> str:
    """The canonical body text: already-minified strings pass through unchanged."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def body_hash(body: Mapping[str, Any] | str | None) -> str:
    return hashlib.sha256(minify(body).encode("utf-8")).hexdigest()


def symmetric_string_to_sign(
    method: str,
    path: str,
    access_token: str,
    body: Mapping[str, Any] | str | None,
    timestamp: str,
) -> str:
    return f"{method.upper()}:{path}:{access_token}:{body_hash(body)}:{timestamp}"


def sign_symmetric(
    client_secret: str,
    method: str,
    path: str,
    access_token: str,
    body: Mapping[str, Any] | str | None,
    timestamp: str,
) -> str:
    message = symmetric_string_to_sign(method, path, access_token, body, timestamp)
    digest = hmac.new(client_secret.encode(), message.encode("utf-8"), hashlib.sha512).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_symmetric(
    signature: str,
    client_secret: str,
    method: str,
    path: str,
    access_token: str,
    body: Mapping[str, Any] | str | None,
    timestamp: str,
) -> bool:
    expected = sign_symmetric(client_secret, method, path, access_token, body, timestamp)
    return hmac.compare_digest(expected.encode(), (signature or "").encode())


def _rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    raw = private_key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def _rsa_verify(public_key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public_key.verify(
            base64.b64decode(signature, validate=True),
            message.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def sign_token_request(private_key: rsa.RSAPrivateKey, client_id: str, timestamp: str) -> str:
    return _rsa_sign(private_key, f"{client_id}|{timestamp}")


def verify_token_request(
    public_key: rsa.RSAPublicKey, client_id: str, timestamp: str, signature: str
) -> bool:
    return _rsa_verify(public_key, f"{client_id}|{timestamp}", signature)


def asymmetric_string_to_sign(
    method: str, path: str, body: Mapping[str, Any] | str | None, timestamp: str
) -> str:
    return f"{method.upper()}:{path}:{body_hash(body)}:{timestamp}"


def sign_asymmetric(
    private_key: rsa.RSAPrivateKey,
    method: str,
    path: str,
    body: Mapping[str, Any] | str | None,
    timestamp: str,
) -> str:
    return _rsa_sign(private_key, asymmetric_string_to_sign(method, path, body, timestamp))


def verify_asymmetric(
    public_key: rsa.RSAPublicKey,
    method: str,
    path: str,
    body: Mapping[str, Any] | str | None,
    timestamp: str,
    signature: str,
) -> bool:
    return _rsa_verify(
        public_key, asymmetric_string_to_sign(method, path, body, timestamp), signature
    )


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(
        pem.encode() if isinstance(pem, str) else pem, password=None
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("SNAP keys are RSA keys")
    return key


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("SNAP keys are RSA keys")
    return key


def generate_key_pair() -> tuple[str, str]:
    """A new 2048-bit RSA pair as (private PEM, public PEM) — for demos, tests and onboarding."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public
