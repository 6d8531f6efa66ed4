"""The prompts a tenant sees in one mode, kept in each process (app/core/cache.py) and served
from memory: every app lists prompts when it opens, and recommendations pick from them.

The built-ins are one shared list per mode; a tenant's view adds its own prompts. Every write
to a catalog or prompt bumps its scope in the same transaction (`catalog:builtin` for the
content loader, `catalog:<tenant>:<mode>` for a tenant's own), so a view is rebuilt at once in
the process that wrote and within the staleness bound everywhere else.

Lists are filtered and paged here exactly as the SQL did (newest first on `(created_at, id)`,
the same cursors), and answered as JSON assembled from each prompt's pre-serialized form.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from heapq import merge

from sqlmodel import Session, col, select

from app.catalog.models import Prompt
from app.catalog.schemas import PromptPublic
from app.catalog.vocabulary import Category, Depth, Dimension, Kind
from app.core import cache
from app.core.cache import Caches
from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.core.security import Principal

BUILTIN_SCOPE = "catalog:builtin"


def tenant_scope(tenant_id: str, livemode: bool) -> str:
    return f"catalog:{tenant_id}:{'live' if livemode else 'test'}"


def bump_tenant(session: Session, tenant_id: str, livemode: bool) -> None:
    """Call in the transaction of every write to a tenant's catalogs or prompts."""
    cache.bump(session, tenant_scope(tenant_id, livemode))


def bump_builtin(session: Session) -> None:
    """Call in the transaction of every content load."""
    cache.bump(session, BUILTIN_SCOPE)


@dataclass(frozen=True)
class PromptItem:
    id: str
    catalog_id: str
    created_at: datetime
    category: str
    depth: str
    kind: str
    locale: str
    dimensions: frozenset[str]
    public: PromptPublic
    json: bytes

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.created_at, self.id)


@dataclass(frozen=True)
class PromptView:
    items: tuple[PromptItem, ...]  # newest first: (created_at, id) descending
    by_dimension: dict[str, tuple[PromptItem, ...]] = field(default_factory=dict)
    by_id: dict[str, PromptItem] = field(default_factory=dict)

    def page(
        self,
        page: PageParams,
        *,
        catalog_id: str | None = None,
        category: Category | None = None,
        dimension: Dimension | None = None,
        depth: Depth | None = None,
        kind: Kind | None = None,
        locale: str | None = None,
    ) -> bytes:
        """One page as the JSON of `Page[PromptPublic]`."""
        after = decode_cursor(page.cursor) if page.cursor else None
        source = self.by_dimension.get(dimension.value, ()) if dimension else self.items
        rows: list[PromptItem] = []
        for item in source:
            if after is not None and item.order >= after:
                continue
            if (
                (catalog_id is not None and item.catalog_id != catalog_id)
                or (category is not None and item.category != category.value)
                or (depth is not None and item.depth != depth.value)
                or (kind is not None and item.kind != kind.value)
                or (locale is not None and item.locale != locale)
            ):
                continue
            rows.append(item)
            if len(rows) > page.limit:
                break
        has_more = len(rows) > page.limit
        rows = rows[: page.limit]
        cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more and rows else None
        return b"".join(
            (
                b'{"data":[',
                b",".join(item.json for item in rows),
                b'],"has_more":',
                b"true" if has_more else b"false",
                b',"next_cursor":',
                json.dumps(cursor).encode(),
                b"}",
            )
        )

    def with_dimension(self, dimension: str) -> tuple[PromptItem, ...]:
        return self.by_dimension.get(dimension, ())


def public_of(prompt: Prompt, livemode: bool) -> PromptPublic:
    """A prompt as the API shows it; built-ins report the caller's mode."""
    return PromptPublic(
        id=prompt.id,
        catalog_id=prompt.catalog_id,
        slug=prompt.slug,
        text=prompt.text,
        category=Category(prompt.category),
        dimensions=[Dimension(d) for d in prompt.dimensions],
        depth=Depth(prompt.depth),
        kind=Kind(prompt.kind),
        locale=prompt.locale,
        tags=list(prompt.tags),
        idea=prompt.idea,
        builtin=prompt.tenant_id is None,
        livemode=livemode if prompt.livemode is None else prompt.livemode,
        created_at=prompt.created_at,
        updated_at=prompt.updated_at,
    )


def _item(prompt: Prompt, livemode: bool) -> PromptItem:
    public = public_of(prompt, livemode)
    return PromptItem(
        id=prompt.id,
        catalog_id=prompt.catalog_id,
        created_at=prompt.created_at,
        category=prompt.category,
        depth=prompt.depth,
        kind=prompt.kind,
        locale=prompt.locale,
        dimensions=frozenset(prompt.dimensions),
        public=public,
        json=public.model_dump_json().encode(),
    )


def _newest_first(items: list[PromptItem]) -> list[PromptItem]:
    return sorted(items, key=lambda item: item.order, reverse=True)


def _builtin_items(session: Session, livemode: bool) -> tuple[PromptItem, ...]:
    prompts = session.exec(
        select(Prompt).where(col(Prompt.tenant_id).is_(None), col(Prompt.archived_at).is_(None))
    ).all()
    return tuple(_newest_first([_item(p, livemode) for p in prompts]))


def _own_items(session: Session, principal: Principal) -> list[PromptItem]:
    prompts = session.exec(
        select(Prompt).where(
            Prompt.tenant_id == principal.tenant_id,
            Prompt.livemode == principal.livemode,
            col(Prompt.archived_at).is_(None),
        )
    ).all()
    return _newest_first([_item(p, principal.livemode) for p in prompts])


def scopes(principal: Principal) -> tuple[str, str]:
    """The cache scopes of what `principal` sees of the catalogs."""
    return (BUILTIN_SCOPE, tenant_scope(principal.tenant_id, principal.livemode))


def _key(principal: Principal) -> tuple[str, str, bool]:
    return ("prompts", principal.tenant_id, principal.livemode)


def cached_view(caches: Caches, principal: Principal) -> PromptView | None:
    """The view if this process holds a fresh one, with no database work; else None."""
    if caches.versions.due():
        return None
    found: PromptView | None = caches.catalog.get(_key(principal), scopes(principal))
    return found


def view(caches: Caches, session: Session, principal: Principal) -> PromptView:
    """The view, built with `session` when this process holds none fresh."""

    def build_builtins(s: Session) -> tuple[PromptItem, ...]:
        return _builtin_items(s, principal.livemode)

    def build(s: Session) -> PromptView:
        builtins: tuple[PromptItem, ...] = caches.catalog.get_or_build(
            ("builtin", principal.livemode), (BUILTIN_SCOPE,), build_builtins, s
        )
        own = _own_items(s, principal)
        items = tuple(merge(builtins, own, key=lambda i: i.order, reverse=True))
        by_dimension: dict[str, list[PromptItem]] = {}
        for item in items:
            for dimension in item.dimensions:
                by_dimension.setdefault(dimension, []).append(item)
        return PromptView(
            items,
            {d: tuple(v) for d, v in by_dimension.items()},
            {item.id: item for item in items},
        )

    built: PromptView = caches.catalog.get_or_build(
        _key(principal), scopes(principal), build, session
    )
    return built
