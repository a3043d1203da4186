"""Request and response bodies of the prediction service (pydantic)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError


def _as_turns(value: Any) -> Any:
    """A plain string is one turn; a list is left for the item validators; anything else is an error."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise PydanticCustomError("turns_type", "Input should be a string or a list of turns (strings or null)")
    return value


Turns = Annotated[
    list[str | None],
    BeforeValidator(_as_turns),
    Field(min_length=1),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}, "minItems": 1},
            ],
            "description": "One text, or a list of turns (one entry per turn, null for a missing turn).",
        }
    ),
]


class BattleIn(BaseModel):
    """One prompt and the two responses to compare."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"prompt": "What is 2+2?", "response_a": "4", "response_b": "2+2 equals 4, since 2 plus 2 is 4."}
            ]
        },
    )

    prompt: Turns
    response_a: Turns
    response_b: Turns
    id: str | None = Field(default=None, max_length=200, description="Echoed back; generated when absent.")


class BatchIn(BaseModel):
    """Several battles scored in one vectorised call."""

    model_config = ConfigDict(extra="forbid")

    battles: list[BattleIn] = Field(min_length=1)


class ReasonOut(BaseModel):
    """One feature's push on the verdict."""

    feature: str = Field(description="Raw feature name (for a summed group its name, e.g. '*_tfidf_diff_*').")
    label: str = Field(description="What the feature is, in a few words (e.g. 'numbered lists, difference').")
    sentence: str | None = Field(
        description="The value in words (e.g. 'A has 8 more numbered list items than B'); null when it has none."
    )
    value: float | None = Field(description="The feature's value for this battle (null when not finite).")
    contribution: float = Field(description="Its contribution to the raw score of the class it points toward.")
    toward: Literal["A", "B", "tie"]


class Prediction(BaseModel):
    """Probabilities of the three outcomes, the most likely one and, where the model gives them, its reasons."""

    id: str
    p_a: float = Field(description="P(response A is preferred)")
    p_b: float = Field(description="P(response B is preferred)")
    p_tie: float = Field(description="P(tie)")
    winner: Literal["A", "B", "tie"] = Field(
        description="The most probable outcome; 'tie' also when A and B are exactly equally likely."
    )
    reasons: list[ReasonOut] | None = Field(description="Top feature contributions; null if the model gives none.")


class BatchOut(BaseModel):
    predictions: list[Prediction]


class Limits(BaseModel):
    max_body_bytes: int
    max_batch: int = Field(description="Most battles per /v1/predict/batch call, and queries per /get_reward call.")
    max_chars: int
    max_candidates: int = Field(description="Most candidates per /v1/rank call.")


class ModelInfo(BaseModel):
    """What is being served."""

    name: str
    explains: bool = Field(description="Whether predictions come with reasons.")
    directory: str | None = Field(description="The model folder's name (not its path on the server).")
    metadata: dict[str, Any] = Field(
        description="Model name, package version, training summary and the names of the training files."
    )
    limits: Limits


class Health(BaseModel):
    status: Literal["ok"]
    model: str


class ErrorField(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error body: one readable line, and per field for validation errors."""

    detail: str
    errors: list[ErrorField] | None = None
