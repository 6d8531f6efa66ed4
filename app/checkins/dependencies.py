from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import PrincipalDep
from app.checkins import service
from app.checkins.models import CheckIn
from app.core.routing import SessionDep

CheckInId = Annotated[str, Path(description="A check-in's id (`chk_…`).")]


def get_check_in_or_404(
    check_in_id: CheckInId, session: SessionDep, principal: PrincipalDep
) -> CheckIn:
    return service.get_visible(session, principal, check_in_id)


CheckInDep = Annotated[CheckIn, Depends(get_check_in_or_404)]
