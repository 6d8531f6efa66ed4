from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import PrincipalDep, TenantKeyDep
from app.catalog import service
from app.catalog.models import Catalog, Prompt
from app.core.routing import SessionDep

CatalogId = Annotated[str, Path(description="A catalog's id (`cat_…`).")]

PromptId = Annotated[str, Path(description="A prompt's id (`prm_…`).")]


def get_catalog_or_404(
    catalog_id: CatalogId, session: SessionDep, principal: PrincipalDep
) -> Catalog:
    return service.get_catalog(session, principal, catalog_id)


def get_own_catalog(catalog_id: CatalogId, session: SessionDep, principal: TenantKeyDep) -> Catalog:
    """The tenant's own catalog: 403 for a member token, 404 if unseen, 403 for a built-in."""
    return service.get_own_catalog(session, principal, catalog_id)


def get_prompt_or_404(prompt_id: PromptId, session: SessionDep, principal: PrincipalDep) -> Prompt:
    return service.get_prompt(session, principal, prompt_id)


def get_own_prompt(prompt_id: PromptId, session: SessionDep, principal: TenantKeyDep) -> Prompt:
    return service.get_own_prompt(session, principal, prompt_id)


CatalogDep = Annotated[Catalog, Depends(get_catalog_or_404)]
OwnCatalogDep = Annotated[Catalog, Depends(get_own_catalog)]
PromptDep = Annotated[Prompt, Depends(get_prompt_or_404)]
OwnPromptDep = Annotated[Prompt, Depends(get_own_prompt)]
