"""What each domain contributes to a member's export and erasure.

Members come first in the dependency order, so later domains (couples, check-ins, …)
register here at import time instead of members importing them."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.core.config import Settings
from app.core.security import Principal
from app.members.models import Member

Exporter = Callable[[Session, Member, Settings], Any]
Eraser = Callable[[Session, Member, Principal], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def exporter(section: str) -> Callable[[Exporter], Exporter]:
    """Register `fn(session, member, settings)` as the source of the export's `section`."""

    def register(fn: Exporter) -> Exporter:
        _exporters[section] = fn
        return fn

    return register


def eraser(name: str) -> Callable[[Eraser], Eraser]:
    """Register `fn(session, member, principal)`, run before the member row is deleted."""

    def register(fn: Eraser) -> Eraser:
        _erasers[name] = fn
        return fn

    return register


def export_sections(session: Session, member: Member, settings: Settings) -> dict[str, Any]:
    return {section: fn(session, member, settings) for section, fn in _exporters.items()}


def erase_dependents(session: Session, member: Member, principal: Principal) -> None:
    for fn in _erasers.values():
        fn(session, member, principal)
