from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.encryption import service
from app.encryption.keyring import Keyring


async def get_keyring(request: Request) -> Keyring:
    """The app's keyring, built once from its settings (not per request: unwrapping the
    master keys is work, and the settings of a running app do not change)."""
    ring: Keyring | None = getattr(request.app.state, "keyring", None)
    if ring is None:
        settings: Settings = request.app.state.settings
        ring = request.app.state.keyring = service.keyring(settings)
    return ring


KeyringDep = Annotated[Keyring, Depends(get_keyring)]
