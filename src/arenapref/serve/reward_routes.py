"""The reward endpoints: POST /v1/rank (best-of-n) and POST /get_reward (OpenRLHF's remote reward protocol)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from arenapref.serve.errors import ERRORS
from arenapref.serve.reward_schemas import RankIn, RankOut, RewardReply, RewardRequest
from arenapref.serve.reward_service import RewardService


def add_reward_routes(app: FastAPI, rewards: RewardService) -> None:
    @app.post("/v1/rank", response_model=RankOut, responses=ERRORS, tags=["reward"])
    def rank(request: RankIn) -> RankOut:
        """Rank a prompt's candidates (at most `max_candidates`, see /v1/model): every pair compared in both orders,
        Bradley-Terry scores over the pairwise probabilities (a tie counts half), Copeland wins, the best index."""
        return rewards.rank(request)

    @app.post(
        "/get_reward",
        response_model=RewardReply,
        responses=ERRORS,
        tags=["reward"],
        summary="OpenRLHF remote reward",
    )
    def get_reward(request: RewardRequest) -> dict[str, Any]:
        """OpenRLHF's remote reward protocol (`--reward.remote_url http://HOST:PORT/get_reward`): per query, the
        response is the query after its prompt, cut at the first end-of-turn token, special tokens removed (the
        common chat templates: ChatML, Llama 3, Gemma, Phi-3/Zephyr, Mistral); its reward is P(response beats the
        label) + P(tie) / 2, against the server's baseline answer where the label is '' or null. At most
        `max_batch` queries per call; empty lists get empty lists."""
        return rewards.get_reward(request)
