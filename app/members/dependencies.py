from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import PrincipalDep
from app.core.routing import SessionDep
from app.members import service
from app.members.models import Member

MemberId = Annotated[str, Path(description="A member's id (`mem_…`).")]


def get_member_or_404(member_id: MemberId, session: SessionDep, principal: PrincipalDep) -> Member:
    return service.get_visible(session, principal, member_id)


MemberDep = Annotated[Member, Depends(get_member_or_404)]
