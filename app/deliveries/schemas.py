from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.catalog.schemas import PROMPT_EXAMPLE, PromptPublic
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

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"dimension": "listening", "kind": "question"}]}
    )


class AnswerCreate(StrictInput):
    member_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Required with a secret key; implied for a member token."
    )
    text: AnswerText

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                    "text": "When you put your phone away and ask a second question.",
                }
            ]
        }
    )


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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "dlv_7h2kq5m3xz4c6vb2wyn5d7plte",
                    "couple_id": "cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa",
                    "prompt": PROMPT_EXAMPLE,
                    "delivered_at": "2026-11-25T08:00:00Z",
                    "revealed": False,
                    "answers": [
                        {
                            "member_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                            "answered": True,
                            "answered_at": "2026-11-25T17:30:00Z",
                            "text": "When you put your phone away and ask a second question.",
                        },
                        {
                            "member_id": "mem_b7xq2m4pnq6w5tyv2cbsd7oaje",
                            "answered": False,
                            "answered_at": None,
                            "text": None,
                        },
                    ],
                    "livemode": False,
                }
            ]
        }
    )


class AnswerPublic(BaseModel):
    id: str = Field(examples=["ans_2c5ztk4p6vb2wyn5d7hleq3m7x"])
    delivery_id: str
    member_id: str
    text: str
    answered_at: Timestamp
    updated_at: Timestamp
    livemode: bool

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "ans_2c5ztk4p6vb2wyn5d7hleq3m7x",
                    "delivery_id": "dlv_7h2kq5m3xz4c6vb2wyn5d7plte",
                    "member_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                    "text": "When you put your phone away and ask a second question.",
                    "answered_at": "2026-11-25T17:30:00Z",
                    "updated_at": "2026-11-25T17:30:00Z",
                    "livemode": False,
                }
            ]
        }
    )
