"""verl: an arenapref model as a custom reward function (`custom_reward_function.path` / `.name`).

verl calls compute_score(data_source, solution_str, ground_truth, extra_info) and does not pass the prompt, so
the prompt is read from `extra_info["prompt"]` (text or a message list; put it there in the data preparation
script; `prompt_key` names another key). The reference answer is `extra_info["reference"]` when present (or
`ground_truth` with use_ground_truth=True), else the baseline. The model directory comes from
`custom_reward_function.reward_kwargs.model_dir` or $ARENAPREF_MODEL_DIR and loads once per process. The score
is P(response beats the reference) + P(tie) / 2, in [0, 1]. Nothing of verl is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arenapref.integrations.loading import reward_model
from arenapref.reward.templated import clean_response

PROMPT_KEY = "prompt"
REFERENCE_KEY = "reference"


def _prompt_of(extra_info: Any, prompt_key: str) -> Any:
    if not isinstance(extra_info, dict) or extra_info.get(prompt_key) is None:
        keys = sorted(extra_info) if isinstance(extra_info, dict) else type(extra_info).__name__
        raise ValueError(
            f"arenapref needs the prompt in extra_info[{prompt_key!r}] (verl does not pass it); extra_info has {keys}"
        )
    return extra_info[prompt_key]


def _reference_of(extra_info: Any, ground_truth: Any, use_ground_truth: bool) -> Any:
    if use_ground_truth:
        return ground_truth if isinstance(ground_truth, str) else None
    return extra_info.get(REFERENCE_KEY) if isinstance(extra_info, dict) else None


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any],
    *,
    model_dir: str | Path | None = None,
    prompt_key: str = PROMPT_KEY,
    use_ground_truth: bool = False,
    baseline: str | None = None,
    **_: Any,
) -> list[dict[str, float]]:
    """compute_score over a batch in one model call (verl's batch reward manager)."""
    model = reward_model(model_dir, baseline)
    prompts = [_prompt_of(info, prompt_key) for info in extra_infos]
    references = [
        _reference_of(info, truth, use_ground_truth) for info, truth in zip(extra_infos, ground_truths, strict=True)
    ]
    # The response may still carry the template's end token (verl decodes with skip_special_tokens=True by default).
    details = model.reward_details(prompts, [clean_response(s) for s in solution_strs], references)
    return [
        {"score": float(r), "p_win": float(w), "p_tie": float(t)}
        for r, w, t in zip(details.rewards, details.p_win, details.p_tie, strict=True)
    ]


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any = None,
    extra_info: dict[str, Any] | None = None,
    *,
    model_dir: str | Path | None = None,
    prompt_key: str = PROMPT_KEY,
    use_ground_truth: bool = False,
    baseline: str | None = None,
    **_: Any,
) -> dict[str, float]:
    """{"score": reward in [0, 1], "p_win": ..., "p_tie": ...} of one response (verl logs the extra keys)."""
    return compute_score_batch(
        [data_source],
        [solution_str],
        [ground_truth],
        [extra_info],
        model_dir=model_dir,
        prompt_key=prompt_key,
        use_ground_truth=use_ground_truth,
        baseline=baseline,
    )[0]
