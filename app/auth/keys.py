"""Secret API keys: `sk_live_` or `sk_test_`, 30 random base62 characters, then a 6-character
CRC32 checksum so leak scanners (and we) can tell a real key from a typo without a lookup."""

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass

ALPHABET = string.digits + string.ascii_letters
RANDOM_LENGTH = 30  # 30 base62 characters: about 178 bits
CHECKSUM_LENGTH = 6
LIVE_PREFIX = "sk_live_"
TEST_PREFIX = "sk_test_"
KEY_LENGTH = len(LIVE_PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


@dataclass(frozen=True, slots=True)
class NewKey:
    secret: str
    prefix: str
    last4: str


def generate(*, livemode: bool) -> NewKey:
    mode_prefix = LIVE_PREFIX if livemode else TEST_PREFIX
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    secret = mode_prefix + body + _checksum(body)
    return NewKey(secret=secret, prefix=secret[: len(mode_prefix) + 4], last4=secret[-4:])


def parse_mode(candidate: str) -> bool | None:
    """The key's livemode if it is well formed with a valid checksum, else None."""
    if len(candidate) != KEY_LENGTH:
        return None
    if candidate.startswith(LIVE_PREFIX):
        livemode = True
    elif candidate.startswith(TEST_PREFIX):
        livemode = False
    else:
        return None
    rest = candidate[len(LIVE_PREFIX) :]
    if any(c not in ALPHABET for c in rest):
        return None
    body, checksum = rest[:RANDOM_LENGTH], rest[RANDOM_LENGTH:]
    if not hmac.compare_digest(checksum, _checksum(body)):
        return None
    return livemode


def looks_like_key(candidate: str) -> bool:
    return candidate.startswith((LIVE_PREFIX, TEST_PREFIX))


def hash_secret(secret: str, pepper: bytes) -> str:
    """HMAC-SHA256: the keys are random, so a fast keyed hash is as strong as a slow one."""
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()
