from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from app.catalog.vocabulary import Category, Depth, Dimension, Kind
from app.core.schemas import Locale, StrictInput, Timestamp

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_TEXT = 280

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=80)]
Tag = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=40)]
PromptText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT - 1, strip_whitespace=True)
]


def _distinct(values: list[Dimension]) -> list[Dimension]:
    if len(set(values)) != len(values):
        raise ValueError("dimensions must not repeat")
    return values


Dimensions = Annotated[
    list[Dimension], Field(min_length=1, max_length=3), AfterValidator(_distinct)
]
Tags = Annotated[list[Tag], Field(max_length=10)]


PROMPT_EXAMPLE: JsonDict = {
    "id": "prm_27e6iluwrbenjnlshgukim4qhm",
    "catalog_id": "cat_qpy55ouepyslgcl3f62twaxai4",
    "slug": "listening-finishing-sentences",
    "text": "Do I ever finish your sentences or jump in before you're done? You're welcome "
    "to tell me honestly; I'd genuinely like to know.",
    "category": "building_intimacy",
    "dimensions": ["listening", "safety"],
    "depth": "medium",
    "kind": "question",
    "locale": "en",
    "tags": ["interrupting"],
    "idea": "active_listening",
    "builtin": True,
    "livemode": False,
    "created_at": "2026-11-01T00:00:00Z",
    "updated_at": "2026-11-01T00:00:00Z",
}


class CatalogCreate(StrictInput):
    title: Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    locale: Locale = "en"

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Our rituals",
                    "description": "House prompts for small daily rituals.",
                    "locale": "en",
                }
            ]
        }
    )


class CatalogUpdate(StrictInput):
    title: (
        Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
        | None
    ) = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"description": "House prompts for small daily and weekly rituals."}]
        }
    )


class CatalogPublic(BaseModel):
    id: str = Field(examples=["cat_4mz2b7q5kqg3yq6wgv7c2lq5ti"])
    slug: str | None = Field(description="Built-in catalogs only: a stable, readable name.")
    title: str
    description: str
    locale: str
    builtin: bool
    prompt_count: int
    livemode: bool = Field(
        description="The caller's mode: built-in catalogs belong to both data spaces."
    )
    created_at: Timestamp
    updated_at: Timestamp

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cat_qpy55ouepyslgcl3f62twaxai4",
                    "slug": "listening-well",
                    "title": "Listening Well",
                    "description": "Prompts for giving each other full attention.",
                    "locale": "en",
                    "builtin": True,
                    "prompt_count": 41,
                    "livemode": False,
                    "created_at": "2026-11-01T00:00:00Z",
                    "updated_at": "2026-11-01T00:00:00Z",
                }
            ]
        }
    )


class PromptCreate(StrictInput):
    text: PromptText
    category: Category
    dimensions: Dimensions
    depth: Depth
    kind: Kind
    slug: Slug | None = Field(default=None, description="Made from the text when absent.")
    tags: Tags = Field(default_factory=list)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "What small ritual would you like us to start this month?",
                    "category": "improving_intimacy",
                    "dimensions": ["quality_time"],
                    "depth": "light",
                    "kind": "question",
                    "tags": ["ritual"],
                }
            ]
        }
    )


class PromptUpdate(StrictInput):
    text: PromptText | None = None
    category: Category | None = None
    dimensions: Dimensions | None = None
    depth: Depth | None = None
    kind: Kind | None = None
    tags: Tags | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"depth": "medium", "tags": ["ritual", "monthly"]}]}
    )


class PromptPublic(BaseModel):
    id: str = Field(examples=["prm_j3x7kq2m4pnq6w5tyv2cbsd7oa"])
    catalog_id: str
    slug: str
    text: str
    category: Category
    dimensions: list[Dimension]
    depth: Depth
    kind: Kind
    locale: str
    tags: list[str]
    idea: str | None = Field(
        description="Built-in prompts: the idea of the source article the prompt serves."
    )
    builtin: bool
    livemode: bool
    created_at: Timestamp
    updated_at: Timestamp

    model_config = ConfigDict(json_schema_extra={"examples": [PROMPT_EXAMPLE]})
