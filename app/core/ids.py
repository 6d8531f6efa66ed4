"""Opaque, prefixed identifiers: 128 random bits, so ids reveal nothing about row counts."""

import base64
import secrets

ID_RANDOM_BYTES = 16


def new_id(prefix: str) -> str:
    """`mem_` + 26 lowercase base32 characters."""
    raw = base64.b32encode(secrets.token_bytes(ID_RANDOM_BYTES)).decode().rstrip("=").lower()
    return f"{prefix}_{raw}"


def has_prefix(value: str, prefix: str) -> bool:
    return value.startswith(f"{prefix}_") and len(value) <= 64
