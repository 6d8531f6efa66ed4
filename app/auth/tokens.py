"""Member tokens: short-lived HS256 JWTs that let a mobile app act as one member."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from app.core.ids import new_id

ALGORITHM = "HS256"
ISSUER = "rapport"
AUDIENCE = "rapport:member"
REQUIRED_CLAIMS = ["sub", "ten", "livemode", "iat", "exp", "jti", "aud", "iss"]


@dataclass(frozen=True, slots=True)
class MemberClaims:
    member_id: str
    tenant_id: str
    livemode: bool
    issued_at: float
    expires_at: datetime
    token_id: str


def mint(
    secret: str, *, member_id: str, tenant_id: str, livemode: bool, ttl_seconds: int
) -> tuple[str, datetime]:
    # iat keeps sub-second precision so a token minted right after a revocation is not
    # mistaken for one minted before it.
    now = time.time()
    expires = int(now) + ttl_seconds
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": member_id,
        "ten": tenant_id,
        "livemode": livemode,
        "iat": round(now, 6),
        "exp": expires,
        "jti": new_id("tok"),
    }
    token = jwt.encode(payload, secret, algorithm=ALGORITHM)
    return token, datetime.fromtimestamp(expires, UTC)


def verify(secret: str, token: str) -> MemberClaims | None:
    """The claims of a token we signed that has not expired; None for anything else."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError:
        return None
    sub, tenant, livemode, iat = (payload.get(k) for k in ("sub", "ten", "livemode", "iat"))
    if not (isinstance(sub, str) and isinstance(tenant, str) and isinstance(livemode, bool)):
        return None
    if not isinstance(iat, int | float):
        return None
    return MemberClaims(
        member_id=sub,
        tenant_id=tenant,
        livemode=livemode,
        issued_at=float(iat),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        token_id=str(payload["jti"]),
    )
