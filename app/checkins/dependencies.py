from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import PrincipalDep
from app.checkins import service
from app.checkins.models import CheckIn
from app.core.routing import SessionDep


def get_check_in_or_404(check_in_id: str, session: SessionDep, principal: PrincipalDep) -> CheckIn:
    return service.get_visible(session, principal, check_in_id)


CheckInDep = Annotated[CheckIn, Depends(get_check_in_or_404)]
