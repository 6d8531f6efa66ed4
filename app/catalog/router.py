from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import PrincipalDep, TenantKeyDep
from app.auth.exceptions import ForbiddenForMemberToken
from app.catalog import service, views
from app.catalog.dependencies import CatalogDep, OwnCatalogDep, OwnPromptDep, PromptDep
from app.catalog.exceptions import (
    CatalogNotFound,
    CatalogReadOnly,
    PromptNotFound,
    PromptSlugExists,
)
from app.catalog.schemas import (
    CatalogCreate,
    CatalogPublic,
    CatalogUpdate,
    PromptCreate,
    PromptPublic,
    PromptUpdate,
)
from app.catalog.vocabulary import Category, Depth, Dimension, Kind
from app.core.cache import Caches
from app.core.errors import responses
from app.core.pagination import Page, PageDep
from app.core.routing import ApiRoute, SessionDep
from app.core.schemas import Locale
from app.core.security import Principal

router = APIRouter(prefix="/v1", tags=["catalog"], route_class=ApiRoute)

OWN_CATALOG_ERRORS = responses(ForbiddenForMemberToken, CatalogReadOnly, CatalogNotFound)
OWN_PROMPT_ERRORS = responses(ForbiddenForMemberToken, CatalogReadOnly, PromptNotFound)
LocaleQuery = Annotated[Locale | None, Query(description="Only this locale, e.g. `en`.")]


@router.get("/catalogs")
def list_catalogs(
    session: SessionDep, principal: PrincipalDep, page: PageDep, locale: LocaleQuery = None
) -> Page[CatalogPublic]:
    """List catalogs

    The built-in catalogs (the same on every installation) and your tenant's own in this mode,
    newest first, each with its `prompt_count`.
    """
    return service.list_catalogs(session, principal, page, locale)


@router.post(
    "/catalogs",
    status_code=status.HTTP_201_CREATED,
    responses=responses(ForbiddenForMemberToken),
)
def create_catalog(
    body: CatalogCreate, session: SessionDep, principal: TenantKeyDep
) -> CatalogPublic:
    """Create a catalog

    A catalog of your own prompts, visible only to your tenant in this mode. Add prompts with
    `createPrompt`; built-in catalogs cannot be changed.
    """
    return service.catalog_public(service.create_catalog(session, principal, body), principal, 0)


@router.get("/catalogs/{catalog_id}", responses=responses(CatalogNotFound))
def get_catalog(session: SessionDep, principal: PrincipalDep, catalog: CatalogDep) -> CatalogPublic:
    """Retrieve a catalog

    A built-in catalog or one of your own.
    """
    return service.catalog_with_count(session, principal, catalog)


@router.patch("/catalogs/{catalog_id}", responses=OWN_CATALOG_ERRORS)
def update_catalog(
    body: CatalogUpdate, session: SessionDep, principal: TenantKeyDep, catalog: OwnCatalogDep
) -> CatalogPublic:
    """Update a catalog

    Changes your catalog's title or description; built-in catalogs are read-only (403
    `catalog_read_only`).
    """
    return service.catalog_with_count(
        session, principal, service.update_catalog(session, catalog, body)
    )


@router.delete(
    "/catalogs/{catalog_id}", status_code=status.HTTP_204_NO_CONTENT, responses=OWN_CATALOG_ERRORS
)
def archive_catalog(session: SessionDep, catalog: OwnCatalogDep) -> Response:
    """Archive a catalog

    Archives your catalog and its prompts: they are no longer listed, but deliveries that hold
    one of them keep showing it. Built-in catalogs are read-only (403 `catalog_read_only`).
    """
    service.archive_catalog(session, catalog)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/prompts", response_model=Page[PromptPublic], responses=responses(CatalogNotFound))
async def list_prompts(
    request: Request,
    principal: PrincipalDep,
    page: PageDep,
    catalog_id: Annotated[
        str | None, Query(max_length=64, description="Only prompts of this catalog.")
    ] = None,
    category: Annotated[Category | None, Query(description="Only this category.")] = None,
    dimension: Annotated[
        Dimension | None, Query(description="Only prompts that serve this dimension.")
    ] = None,
    depth: Annotated[Depth | None, Query(description="Only this depth.")] = None,
    kind: Annotated[Kind | None, Query(description="Only this kind.")] = None,
    locale: LocaleQuery = None,
) -> Response:
    """List prompts

    Prompts from the built-in catalogs and your own, filtered by catalog, category, dimension,
    depth, kind or locale, newest first. Member tokens may read them too.
    """
    # Served from this process's cached view (app/catalog/views.py): no thread hop and no
    # query when it is fresh; built in the thread pool when it is not.
    caches: Caches = request.app.state.caches
    view = views.cached_view(caches, principal)
    if view is None:
        view = await run_in_threadpool(_view, request, caches, principal)
    body = view.page(
        page,
        catalog_id=catalog_id,
        category=category,
        dimension=dimension,
        depth=depth,
        kind=kind,
        locale=locale,
    )
    return Response(body, media_type="application/json")


def _view(request: Request, caches: Caches, principal: Principal) -> views.PromptView:
    caches.versions.refresh_if_due()
    with request.app.state.database.session(write=False) as session:
        return views.view(caches, session, principal)


@router.get("/prompts/{prompt_id}", responses=responses(PromptNotFound))
def get_prompt(principal: PrincipalDep, prompt: PromptDep) -> PromptPublic:
    """Retrieve a prompt

    A prompt from a built-in catalog or one of yours, archived ones included (deliveries may
    still hold them).
    """
    return service.prompt_public(prompt, principal)


@router.post(
    "/catalogs/{catalog_id}/prompts",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ForbiddenForMemberToken, CatalogReadOnly, CatalogNotFound, PromptSlugExists
    ),
)
def create_prompt(
    body: PromptCreate, session: SessionDep, principal: TenantKeyDep, catalog: OwnCatalogDep
) -> PromptPublic:
    """Create a prompt

    Adds a prompt to your catalog; it takes the catalog's locale. `slug` is made from the text
    when absent and is unique in the catalog (409 `prompt_slug_exists`).
    """
    return service.prompt_public(service.create_prompt(session, catalog, body), principal)


@router.patch("/prompts/{prompt_id}", responses=OWN_PROMPT_ERRORS)
def update_prompt(
    body: PromptUpdate, session: SessionDep, principal: TenantKeyDep, prompt: OwnPromptDep
) -> PromptPublic:
    """Update a prompt

    Changes your prompt's text, category, dimensions, depth, kind or tags; built-in prompts are
    read-only (403 `catalog_read_only`).
    """
    return service.prompt_public(service.update_prompt(session, prompt, body), principal)


@router.delete(
    "/prompts/{prompt_id}", status_code=status.HTTP_204_NO_CONTENT, responses=OWN_PROMPT_ERRORS
)
def archive_prompt(session: SessionDep, prompt: OwnPromptDep) -> Response:
    """Archive a prompt

    Your prompt is no longer listed or chosen for deliveries, but deliveries that already hold
    it keep showing it.
    """
    service.archive_prompt(session, prompt)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
