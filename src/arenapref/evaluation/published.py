"""Published accuracies on the same sets, printed beside ours. All are zero-shot (the systems were not trained on
the set), so they compare most directly with our transfer protocol."""

from __future__ import annotations

from dataclasses import dataclass

CITATIONS: dict[str, str] = {
    "auto-j": "GAIR-NLP/auto-j, README leaderboard, pairwise response comparison: agreement with the human labels "
    "incl. ties, and consistency when the two responses are swapped (https://github.com/GAIR-NLP/auto-j)",
    "oasst-rm": "OpenAssistant/reward-model-deberta-v3-large-v2, model card: accuracy on Anthropic RLHF "
    "(HH-RLHF) test (https://huggingface.co/OpenAssistant/reward-model-deberta-v3-large-v2)",
    "pairrm": "llm-blender/PairRM, model card: Auto-J pairwise test data (overall agreement) and HHH-Alignment "
    "accuracy (https://huggingface.co/llm-blender/PairRM)",
}


@dataclass(frozen=True)
class Published:
    """One published accuracy (percent) of `system` on `set_name` (our set or family name), and its position
    consistency (percent of verdicts unchanged when A and B are swapped) where the source reports it."""

    set_name: str
    system: str
    accuracy: float
    metric: str
    citation: str
    consistency: float | None = None


PUBLISHED: tuple[Published, ...] = (
    Published("autoj", "GPT-4", 62.28, "3-way agreement", "auto-j", consistency=86.28),
    Published("autoj", "PairRM", 59.05, "3-way agreement", "pairrm"),
    Published("autoj", "Auto-J-13B", 54.96, "3-way agreement", "auto-j", consistency=83.41),
    Published("autoj", "ChatGPT", 42.74, "3-way agreement", "auto-j", consistency=62.43),
    Published("hh-rlhf", "OASST deberta-v3-large-v2", 69.25, "accuracy, all test splits", "oasst-rm"),
    Published("hhh", "GPT-4", 88.69, "accuracy", "pairrm"),
    Published("hhh", "PairRM", 84.62, "accuracy", "pairrm"),
)


def published_for(set_name: str) -> list[Published]:
    """The published numbers on one set (empty if none)."""
    return [p for p in PUBLISHED if p.set_name == set_name]
