from typing import Annotated

from fastapi import Depends

from app.core.routing import SettingsDep
from app.encryption import service
from app.encryption.keyring import Keyring


def get_keyring(settings: SettingsDep) -> Keyring:
    return service.keyring(settings)


KeyringDep = Annotated[Keyring, Depends(get_keyring)]
