from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import PrincipalDep
from app.core.routing import SessionDep
from app.couples import service
from app.couples.models import Couple

CoupleId = Annotated[str, Path(description="A couple's id (`cpl_…`).")]


def get_couple_or_404(couple_id: CoupleId, session: SessionDep, principal: PrincipalDep) -> Couple:
    return service.get_visible_couple(session, principal, couple_id)


CoupleDep = Annotated[Couple, Depends(get_couple_or_404)]
