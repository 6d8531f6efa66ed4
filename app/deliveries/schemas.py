from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.catalog.schemas import PromptPublic
from app.catalog.vocabulary import Depth, Dimension, Kind
from app.core.schemas import StrictInput, Timestamp

AnswerText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class DeliveryCreate(StrictInput):
    prompt_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Give this prompt; or leave it out and let Rapport choose."
    )
    dimension: Dimension | None = None
    depth: Depth | None = None
    kind: Kind | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "DeliveryCreate":
        if self.prompt_id and (self.dimension or self.depth or self.kind):
            raise ValueError("give either prompt_id or filters (dimension, depth, kind)")
        return self


class AnswerCreate(StrictInput):
    member_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Required with a secret key; implied for a member token."
    )
    text: AnswerText


class AnswerStatus(BaseModel):
    member_id: str
    answered: bool
    answered_at: Timestamp | None
    text: str | None = Field(description="Only where the caller may read it.")


class DeliveryPublic(BaseModel):
    id: str = Field(examples=["dlv_7h2kq5m3xz4c6vb2wyn5d7plte"])
    couple_id: str
    prompt: PromptPublic
    delivered_at: Timestamp
    revealed: bool = Field(description="Both partners have answered.")
    answers: list[AnswerStatus]
    livemode: bool


class AnswerPublic(BaseModel):
    id: str = Field(examples=["ans_2c5ztk4p6vb2wyn5d7hleq3m7x"])
    delivery_id: str
    member_id: str
    text: str
    answered_at: Timestamp
    updated_at: Timestamp
    livemode: bool
