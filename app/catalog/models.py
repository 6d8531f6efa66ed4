from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Index, UniqueConstraint

from app.core.base import SQLModel, created_at_field, id_field, instant_field


class Catalog(SQLModel, table=True):
    """A set of prompts. `tenant_id` is NULL for built-ins, which every tenant reads in
    both modes; a tenant's own catalogs live in one mode."""

    __tablename__ = "catalogs"
    __table_args__ = (
        Index("ix_catalogs_tenant_id_livemode_created_at", "tenant_id", "livemode", "created_at"),
    )

    id: str = id_field()
    tenant_id: str | None = Field(default=None, foreign_key="tenants.id", max_length=40)
    livemode: bool | None = None
    # Built-ins only: the content file's name, from which their stable id is derived.
    slug: str | None = Field(default=None, max_length=80)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    locale: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    archived_at: datetime | None = instant_field()

    @property
    def builtin(self) -> bool:
        return self.tenant_id is None


class Prompt(SQLModel, table=True):
    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("catalog_id", "slug"),
        Index("ix_prompts_tenant_id_livemode_created_at", "tenant_id", "livemode", "created_at"),
        Index("ix_prompts_catalog_id_created_at", "catalog_id", "created_at"),
    )

    id: str = id_field()
    catalog_id: str = Field(foreign_key="catalogs.id", max_length=40)
    tenant_id: str | None = Field(default=None, foreign_key="tenants.id", max_length=40)
    livemode: bool | None = None
    slug: str = Field(max_length=80)
    text: str = Field(max_length=280)
    category: str = Field(max_length=32)
    depth: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    locale: str = Field(max_length=16)
    idea: str | None = Field(default=None, max_length=40)
    # A list of dimension keys; `prompt_dimensions` holds the same for filtering in SQL.
    dimensions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    archived_at: datetime | None = instant_field()


class PromptDimension(SQLModel, table=True):
    """One row per prompt and dimension, so `?dimension=` is an indexed join."""

    __tablename__ = "prompt_dimensions"
    __table_args__ = (Index("ix_prompt_dimensions_dimension_prompt_id", "dimension", "prompt_id"),)

    prompt_id: str = Field(
        primary_key=True, foreign_key="prompts.id", max_length=40, ondelete="CASCADE"
    )
    dimension: str = Field(primary_key=True, max_length=32)
