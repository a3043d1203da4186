"""Request and response bodies of the reward endpoints: /v1/rank and OpenRLHF's /get_reward (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The roles reward/inputs.py reads (reward_schemas' test checks that the two agree).
Role = Literal["assistant", "bot", "chatbot", "developer", "gpt", "human", "model", "prompter", "system", "user"]


class ContentPart(BaseModel):
    """One part of a message's content (OpenAI's content parts); only `text` parts are read."""

    model_config = ConfigDict(extra="allow")

    type: str = "text"
    text: str | None = None


class MessageIn(BaseModel):
    """One chat message; system (and developer) messages are not read by the models."""

    model_config = ConfigDict(extra="allow")

    role: Role
    content: str | list[ContentPart] | None = None


Conversation = str | list[MessageIn]


class RankIn(BaseModel):
    """A prompt and its candidate answers. The prompt is a text or a list of messages (multi-turn: its assistant
    messages are the earlier answers); a candidate is a text or a list of messages (read as one answer)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"prompt": "What is 2+2?", "candidates": ["4", "2+2 equals 4.", "I think it is 5."]},
                {
                    "prompt": [{"role": "user", "content": "Say hello."}],
                    "candidates": [[{"role": "assistant", "content": "Hello!"}], "Hi there."],
                },
            ]
        },
    )

    prompt: Conversation
    candidates: list[Conversation] = Field(description="The answers to rank; identical ones share their score.")
    id: str | None = Field(default=None, max_length=200, description="Echoed back.")


class RankOut(BaseModel):
    """Per candidate, in the order given: Bradley-Terry score over every pair (natural-log strength, mean 0 over
    the distinct candidates), rank (1 = best; equal scores share a rank), Copeland wins; and the best index."""

    id: str | None
    scores: list[float]
    ranks: list[int]
    copeland: list[float]
    best: int | None = Field(description="Index of the best candidate (the first of equal best); null for none.")


Label = str | int | float | bool | None


class RewardRequest(BaseModel):
    """OpenRLHF's remote reward request (`--reward.remote_url`, `--remote_rm_url` up to 0.10.1)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "query": [
                        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>"
                    ],
                    "prompts": ["<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"],
                    "labels": [""],
                }
            ]
        },
    )

    query: list[str] = Field(
        description="Chat-templated prompt plus response, special tokens kept (the response is what follows the "
        "prompt, cut at the first end-of-turn token)."
    )
    prompts: list[str] | None = Field(
        default=None, description="The chat-templated prompts, one per query (absent: read from the query)."
    )
    labels: list[Label] | None = Field(
        default=None, description="Reference answers, one per query; '' or null: the server's baseline answer."
    )


class RewardReply(BaseModel):
    """OpenRLHF's remote reward reply: one float per query."""

    rewards: list[float] = Field(description="P(response beats the label or baseline) + P(tie) / 2, in [0, 1].")
    scores: list[float] = Field(description="The same values (OpenRLHF's dynamic filtering reads scores in [0, 1]).")
    extra_logs: dict[str, list[float]] = Field(
        description="Per query: arenapref_p_win, arenapref_p_tie, arenapref_has_label (1 when a label was used)."
    )
