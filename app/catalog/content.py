"""The built-in catalogs: read and validate `content/*.yaml`, then upsert them by slug.

Loading is all or nothing: every file is validated before the first write, and the writes
happen in the caller's one transaction. A prompt removed from the files is archived (its
deliveries still refer to it), never deleted; one that comes back is unarchived.
"""

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlmodel import Session, col, select

from app.catalog import service as catalog_service
from app.catalog import views
from app.catalog.exceptions import ContentError
from app.catalog.models import Catalog, Prompt, PromptDimension
from app.catalog.schemas import Dimensions, PromptText, Slug, Tags
from app.catalog.vocabulary import IDEA_CATEGORY, Category, Depth, Idea, Kind
from app.core.db import utcnow
from app.core.schemas import Locale


class ContentPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    text: PromptText
    idea: Idea
    category: Category
    dimensions: Dimensions
    depth: Depth
    kind: Kind
    tags: Tags = Field(default_factory=list)


class ContentCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    locale: Locale
    prompts: list[ContentPrompt] = Field(min_length=1)


def builtin_id(prefix: str, slug: str) -> str:
    """Built-ins get ids derived from their slugs, identical on every installation."""
    digest = hashlib.sha256(f"rapport:builtin:{prefix}:{slug}".encode()).digest()
    return f"{prefix}_" + base64.b32encode(digest[:16]).decode().rstrip("=").lower()


def _field_path(loc: tuple[int | str, ...], raw: dict[str, Any]) -> tuple[str | None, str]:
    """(prompt slug or #index, field) for a pydantic error location inside a catalog file."""
    if len(loc) >= 2 and loc[0] == "prompts" and isinstance(loc[1], int):
        prompts = raw.get("prompts") or []
        entry = prompts[loc[1]] if loc[1] < len(prompts) else {}
        slug = entry.get("slug") if isinstance(entry, dict) else None
        name = str(slug) if slug else f"#{loc[1] + 1}"
        return name, ".".join(str(p) for p in loc[2:]) or "(prompt)"
    return None, ".".join(str(p) for p in loc) or "(file)"


def read_file(path: Path) -> ContentCatalog:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContentError(path.name, f"cannot be read as YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ContentError(
            path.name, "must be a mapping with slug, title, description, locale, prompts"
        )
    try:
        catalog = ContentCatalog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where, field_name = _field_path(tuple(first["loc"]), raw)
        raise ContentError(path.name, first["msg"], prompt=where, field=field_name) from exc
    if catalog.slug != path.stem:
        raise ContentError(
            path.name, f"slug {catalog.slug!r} must match the file name", field="slug"
        )
    for item in catalog.prompts:
        if IDEA_CATEGORY[item.idea] != item.category:
            raise ContentError(
                path.name,
                f"idea {item.idea} belongs to {IDEA_CATEGORY[item.idea]}",
                prompt=item.slug,
                field="category",
            )
    return catalog


def read_directory(directory: Path) -> list[ContentCatalog]:
    """Every catalog file, validated, with prompt slugs unique across all of them."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ContentError(str(directory), "holds no catalog files (*.yaml)")
    catalogs = [read_file(path) for path in files]
    seen: dict[str, str] = {}
    for path, catalog in zip(files, catalogs, strict=True):
        for prompt in catalog.prompts:
            if prompt.slug in seen:
                raise ContentError(
                    path.name,
                    f"slug is already used in {seen[prompt.slug]}",
                    prompt=prompt.slug,
                    field="slug",
                )
            seen[prompt.slug] = path.name
    return catalogs


@dataclass
class LoadReport:
    catalogs: int = 0
    prompts: int = 0
    created: int = 0
    updated: int = 0
    archived: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "catalogs": self.catalogs,
            "prompts": self.prompts,
            "created": self.created,
            "updated": self.updated,
            "archived": self.archived,
            "unchanged": self.unchanged,
        }


def _apply(row: Catalog | Prompt, values: dict[str, Any]) -> bool:
    changed = any(getattr(row, key) != value for key, value in values.items())
    if changed or row.archived_at is not None:
        for key, value in values.items():
            setattr(row, key, value)
        row.archived_at = None
        row.updated_at = utcnow()
        return True
    return False


def load(session: Session, catalogs: list[ContentCatalog]) -> LoadReport:
    """Upsert the built-ins to match `catalogs` exactly; flushes, never commits."""
    report = LoadReport(catalogs=len(catalogs))
    existing_catalogs = {
        c.id: c for c in session.exec(select(Catalog).where(col(Catalog.tenant_id).is_(None)))
    }
    existing_prompts = {
        p.id: p for p in session.exec(select(Prompt).where(col(Prompt.tenant_id).is_(None)))
    }
    wanted_catalogs: set[str] = set()
    wanted_prompts: set[str] = set()

    for content in catalogs:
        catalog_id = builtin_id("cat", content.slug)
        wanted_catalogs.add(catalog_id)
        values: dict[str, Any] = {
            "slug": content.slug,
            "title": content.title,
            "description": content.description,
            "locale": content.locale,
        }
        catalog = existing_catalogs.get(catalog_id)
        if catalog is None:
            session.add(Catalog(id=catalog_id, **values))
        elif _apply(catalog, values):
            session.add(catalog)

        for item in content.prompts:
            report.prompts += 1
            prompt_id = builtin_id("prm", item.slug)
            wanted_prompts.add(prompt_id)
            dimensions = [str(d) for d in item.dimensions]
            prompt_values: dict[str, Any] = {
                "catalog_id": catalog_id,
                "slug": item.slug,
                "text": item.text,
                "category": str(item.category),
                "depth": str(item.depth),
                "kind": str(item.kind),
                "locale": content.locale,
                "idea": str(item.idea),
                "dimensions": dimensions,
                "tags": list(item.tags),
            }
            prompt = existing_prompts.get(prompt_id)
            if prompt is None:
                session.add(Prompt(id=prompt_id, **prompt_values))
                session.add_all(
                    PromptDimension(prompt_id=prompt_id, dimension=d) for d in dimensions
                )
                report.created += 1
                report.changed_ids.append(prompt_id)
            else:
                old_dimensions = list(prompt.dimensions)
                if _apply(prompt, prompt_values):
                    session.add(prompt)
                    if old_dimensions != dimensions:
                        catalog_service.set_dimensions(session, prompt_id, dimensions)
                    report.updated += 1
                    report.changed_ids.append(prompt_id)
                else:
                    report.unchanged += 1
        session.flush()

    now = utcnow()
    for prompt_id, prompt in existing_prompts.items():
        if prompt_id not in wanted_prompts and prompt.archived_at is None:
            prompt.archived_at = now
            session.add(prompt)
            report.archived += 1
            report.changed_ids.append(prompt_id)
    for catalog_id, catalog in existing_catalogs.items():
        if catalog_id not in wanted_catalogs and catalog.archived_at is None:
            catalog.archived_at = now
            session.add(catalog)
    session.flush()
    views.bump_builtin(session)
    return report
