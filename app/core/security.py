"""Who is calling: the one value every authenticated route receives."""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    livemode: bool
    kind: Literal["key", "member"]
    key_id: str | None = None
    member_id: str | None = None
    # Per-minute request limit for this caller; None means the configured default, 0 none.
    rate_limit_per_minute: int | None = None

    @property
    def is_member(self) -> bool:
        return self.kind == "member"

    @property
    def actor_id(self) -> str | None:
        return self.member_id if self.is_member else self.key_id
