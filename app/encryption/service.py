"""Per-member data keys: text a member writes (notes, answers) is sealed with its own key,
which the master key wraps. Erasing the member deletes the key: its text is then noise."""

import os

from cryptography.exceptions import InvalidTag
from sqlmodel import Session, col, delete, select

from app.core.config import Settings
from app.core.security import Principal
from app.encryption.keyring import KEY_BYTES, EncryptionKeyError, Keyring, open_sealed, seal
from app.encryption.models import MemberKey
from app.members import lifecycle
from app.members.models import Member

WRAP_CONTEXT = b"rapport:member-key:"


class TextUnreadable(Exception):
    """The member's key is gone (erased) or the ciphertext was tampered with."""


def keyring(settings: Settings) -> Keyring:
    return Keyring.from_settings(
        settings.encryption_key.get_secret_value(), settings.encryption_key_previous
    )


def _data_key(session: Session, ring: Keyring, member_id: str, *, create: bool) -> bytes | None:
    row = session.get(MemberKey, member_id)
    if row is None:
        if not create:
            return None
        key = os.urandom(KEY_BYTES)
        session.add(
            MemberKey(
                member_id=member_id,
                wrapped_key=seal(ring.current, key, WRAP_CONTEXT + member_id.encode()),
                master_key_id=ring.current_id,
            )
        )
        session.flush()
        return key
    return open_sealed(
        ring.by_id(row.master_key_id), row.wrapped_key, WRAP_CONTEXT + member_id.encode()
    )


def encrypt(session: Session, ring: Keyring, member_id: str, text: str, context: str) -> bytes:
    key = _data_key(session, ring, member_id, create=True)
    assert key is not None
    return seal(key, text.encode(), context.encode())


def decrypt(session: Session, ring: Keyring, member_id: str, sealed: bytes, context: str) -> str:
    try:
        key = _data_key(session, ring, member_id, create=False)
        if key is None:
            raise TextUnreadable(f"no data key for {member_id}")
        return open_sealed(key, sealed, context.encode()).decode()
    except (InvalidTag, EncryptionKeyError) as exc:
        raise TextUnreadable(str(exc)) from exc


def rewrap_all(session: Session, ring: Keyring) -> int:
    """Re-wrap every data key not wrapped by the current master key; texts stay untouched."""
    rewrapped = 0
    rows = session.exec(
        select(MemberKey).where(col(MemberKey.master_key_id) != ring.current_id)
    ).all()
    for row in rows:
        context = WRAP_CONTEXT + row.member_id.encode()
        key = open_sealed(ring.by_id(row.master_key_id), row.wrapped_key, context)
        row.wrapped_key = seal(ring.current, key, context)
        row.master_key_id = ring.current_id
        session.add(row)
        rewrapped += 1
    session.flush()
    return rewrapped


@lifecycle.eraser("encryption")
def _destroy_key(session: Session, member: Member, principal: Principal) -> None:
    session.exec(delete(MemberKey).where(col(MemberKey.member_id) == member.id))
    session.flush()
