"""The master keys: the current one wraps new data keys; previous ones, during a rotation,
still unwrap old ones. Pure functions over bytes; no database."""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class EncryptionKeyError(Exception):
    """A key that is not 32 bytes of base64, or a ciphertext no known key opens."""


def decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as exc:
        raise EncryptionKeyError("an encryption key must be base64 of 32 random bytes") from exc
    if len(raw) != KEY_BYTES:
        raise EncryptionKeyError("an encryption key must be base64 of 32 random bytes")
    return raw


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"rapport-master-key:" + key).hexdigest()[:16]


def seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """nonce ‖ AES-256-GCM(plaintext), bound to `context` so a ciphertext cannot be moved
    to another record or field unnoticed."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def open_sealed(key: bytes, sealed: bytes, context: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)


@dataclass(frozen=True)
class Keyring:
    current: bytes
    previous: tuple[bytes, ...] = ()

    @classmethod
    def from_settings(cls, current: str, previous: list[str]) -> "Keyring":
        return cls(decode_key(current), tuple(decode_key(p) for p in previous))

    @property
    def current_id(self) -> str:
        return fingerprint(self.current)

    def by_id(self, key_id: str) -> bytes:
        for key in (self.current, *self.previous):
            if fingerprint(key) == key_id:
                return key
        raise EncryptionKeyError(f"no configured master key has id {key_id}")
