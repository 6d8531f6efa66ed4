"""Invite codes: 8 characters from an alphabet with no look-alikes (no 0/O, 1/I/L)."""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: 31^8 ≈ 8.5e11 codes
LENGTH = 8
_CANONICAL = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize(raw: str) -> str | None:
    """The stored form of what a person typed (any case, with or without the dash)."""
    candidate = raw.strip().replace("-", "").replace(" ", "").upper()
    return candidate if _CANONICAL.match(candidate) else None
