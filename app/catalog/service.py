"""Catalogs and prompts: built-ins for everyone, a tenant's own for that tenant and mode."""

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.catalog import views
from app.catalog.exceptions import (
    CatalogNotFound,
    CatalogReadOnly,
    PromptNotFound,
    PromptSlugExists,
)
from app.catalog.models import Catalog, Prompt, PromptDimension
from app.catalog.schemas import (
    CatalogCreate,
    CatalogPublic,
    CatalogUpdate,
    PromptCreate,
    PromptPublic,
    PromptUpdate,
)
from app.catalog.vocabulary import Dimension
from app.core.db import utcnow
from app.core.ids import new_id
from app.core.pagination import Page, PageParams, paginate
from app.core.security import Principal

MAX_SLUG = 60


def _visible(model: type[Catalog] | type[Prompt], principal: Principal) -> ColumnElement[bool]:
    """Not archived, and built-in or the caller's own (its tenant, in its mode)."""
    return and_(
        col(model.archived_at).is_(None),
        or_(
            col(model.tenant_id).is_(None),
            and_(
                col(model.tenant_id) == principal.tenant_id,
                col(model.livemode) == principal.livemode,
            ),
        ),
    )


def visible_prompt(principal: Principal) -> ColumnElement[bool]:
    return _visible(Prompt, principal)


def _prompt_counts(session: Session, catalog_ids: Sequence[str]) -> dict[str, int]:
    if not catalog_ids:
        return {}
    rows = session.exec(
        select(Prompt.catalog_id, func.count())
        .where(col(Prompt.catalog_id).in_(catalog_ids), col(Prompt.archived_at).is_(None))
        .group_by(col(Prompt.catalog_id))
    ).all()
    return dict(rows)


def catalog_public(catalog: Catalog, principal: Principal, prompt_count: int) -> CatalogPublic:
    return CatalogPublic(
        id=catalog.id,
        slug=catalog.slug,
        title=catalog.title,
        description=catalog.description,
        locale=catalog.locale,
        builtin=catalog.builtin,
        prompt_count=prompt_count,
        livemode=principal.livemode if catalog.livemode is None else catalog.livemode,
        created_at=catalog.created_at,
        updated_at=catalog.updated_at,
    )


def prompt_public(prompt: Prompt, principal: Principal) -> PromptPublic:
    return views.public_of(prompt, principal.livemode)


def get_catalog(session: Session, principal: Principal, catalog_id: str) -> Catalog:
    catalog = session.exec(
        select(Catalog).where(Catalog.id == catalog_id, _visible(Catalog, principal))
    ).first()
    if catalog is None:
        raise CatalogNotFound(f"No catalog {catalog_id} here.")
    return catalog


def get_own_catalog(session: Session, principal: Principal, catalog_id: str) -> Catalog:
    catalog = get_catalog(session, principal, catalog_id)
    if catalog.builtin:
        raise CatalogReadOnly("Built-in catalogs cannot be changed; create your own catalog.")
    return catalog


def get_prompt(session: Session, principal: Principal, prompt_id: str) -> Prompt:
    prompt = session.exec(
        select(Prompt).where(Prompt.id == prompt_id, visible_prompt(principal))
    ).first()
    if prompt is None:
        raise PromptNotFound(f"No prompt {prompt_id} here.")
    return prompt


def get_own_prompt(session: Session, principal: Principal, prompt_id: str) -> Prompt:
    prompt = get_prompt(session, principal, prompt_id)
    if prompt.tenant_id is None:
        raise CatalogReadOnly("Built-in prompts cannot be changed; create your own catalog.")
    return prompt


def catalog_with_count(session: Session, principal: Principal, catalog: Catalog) -> CatalogPublic:
    return catalog_public(
        catalog, principal, _prompt_counts(session, [catalog.id]).get(catalog.id, 0)
    )


def list_catalogs(
    session: Session, principal: Principal, page: PageParams, locale: str | None
) -> Page[CatalogPublic]:
    statement = select(Catalog).where(_visible(Catalog, principal))
    if locale is not None:
        statement = statement.where(Catalog.locale == locale)
    rows = paginate(
        session,
        statement,
        sort_column=col(Catalog.created_at),
        id_column=col(Catalog.id),
        page=page,
        to_public=lambda c: c,
    )
    counts = _prompt_counts(session, [c.id for c in rows.data])
    return Page[CatalogPublic](
        data=[catalog_public(c, principal, counts.get(c.id, 0)) for c in rows.data],
        has_more=rows.has_more,
        next_cursor=rows.next_cursor,
    )


def create_catalog(session: Session, principal: Principal, data: CatalogCreate) -> Catalog:
    catalog = Catalog(
        id=new_id("cat"),
        tenant_id=principal.tenant_id,
        livemode=principal.livemode,
        title=data.title,
        description=data.description,
        locale=data.locale,
    )
    session.add(catalog)
    session.flush()
    return catalog


def update_catalog(session: Session, catalog: Catalog, data: CatalogUpdate) -> Catalog:
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    for key, value in changes.items():
        setattr(catalog, key, value)
    if changes:
        catalog.updated_at = utcnow()
    session.add(catalog)
    session.flush()
    _changed(session, catalog)
    return catalog


def archive_catalog(session: Session, catalog: Catalog) -> None:
    """Archive the catalog and its prompts; deliveries keep referring to them."""
    now = utcnow()
    catalog.archived_at = now
    session.add(catalog)
    for prompt in session.exec(
        select(Prompt).where(Prompt.catalog_id == catalog.id, col(Prompt.archived_at).is_(None))
    ):
        prompt.archived_at = now
        session.add(prompt)
    session.flush()
    _changed(session, catalog)


def slugify(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG:
            break
        slug = candidate
    return slug or "prompt"


def _free_slug(session: Session, catalog_id: str, base: str) -> str:
    taken = set(
        session.exec(
            select(Prompt.slug).where(
                Prompt.catalog_id == catalog_id, col(Prompt.slug).startswith(base)
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_prompt(session: Session, catalog: Catalog, data: PromptCreate) -> Prompt:
    slug = data.slug or _free_slug(session, catalog.id, slugify(data.text))
    dimensions = [d.value for d in data.dimensions]
    prompt = Prompt(
        id=new_id("prm"),
        catalog_id=catalog.id,
        tenant_id=catalog.tenant_id,
        livemode=catalog.livemode,
        slug=slug,
        text=data.text,
        category=data.category.value,
        depth=data.depth.value,
        kind=data.kind.value,
        locale=catalog.locale,
        dimensions=dimensions,
        tags=list(data.tags),
    )
    try:
        with session.begin_nested():
            session.add(prompt)
            session.flush()
            session.add_all(PromptDimension(prompt_id=prompt.id, dimension=d) for d in dimensions)
    except IntegrityError:
        raise PromptSlugExists(
            f"Catalog {catalog.id} already has a prompt with slug {slug!r}.", slug=slug
        ) from None
    _changed(session, prompt)
    return prompt


def update_prompt(session: Session, prompt: Prompt, data: PromptUpdate) -> Prompt:
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "dimensions" in changes:
        dimensions = [Dimension(d).value for d in changes.pop("dimensions")]
        if dimensions != prompt.dimensions:
            set_dimensions(session, prompt.id, dimensions)
        prompt.dimensions = dimensions
    for key, value in changes.items():
        setattr(prompt, key, value)
    prompt.updated_at = utcnow()
    session.add(prompt)
    session.flush()
    _changed(session, prompt)
    return prompt


def set_dimensions(session: Session, prompt_id: str, dimensions: list[str]) -> None:
    """Replace the prompt's rows in `prompt_dimensions` (what `?dimension=` filters on)."""
    for row in session.exec(select(PromptDimension).where(PromptDimension.prompt_id == prompt_id)):
        session.delete(row)
    session.flush()
    session.add_all(PromptDimension(prompt_id=prompt_id, dimension=d) for d in dimensions)


def archive_prompt(session: Session, prompt: Prompt) -> None:
    prompt.archived_at = utcnow()
    session.add(prompt)
    session.flush()
    _changed(session, prompt)


def _changed(session: Session, row: Catalog | Prompt) -> None:
    """What every write to a tenant's catalog or prompt ends with: the cached views of
    that tenant and mode (app/catalog/views.py) are rebuilt."""
    if row.tenant_id is None or row.livemode is None:  # pragma: no cover - built-ins are read-only
        views.bump_builtin(session)
    else:
        views.bump_tenant(session, row.tenant_id, row.livemode)
