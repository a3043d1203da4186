"""The local backend: a causal LM through transformers (a checkpoint folder, or a GGUF file materialised as one).
It writes up to `max_new_tokens` of explanation greedily, then appends '[[' (cutting the explanation where the
model began its own verdict) and reads the next-token logits of 'A', 'B' and 'C': the 3-way verdict
distribution, always available. With max_new_tokens=0 the verdict is read straight after the prompt."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from arenapref.judge.cache import Completion
from arenapref.judge.prompts import Messages
from arenapref.judge.verdict import LETTERS

VERDICT_PREFIX = "[["


class LocalBackend:
    """Judge with a local model on CPU (or `device`); one request at a time."""

    name = "local"
    concurrency = 1

    def __init__(
        self, model_path: str | Path, *, max_new_tokens: int = 32, device: str = "cpu", max_input_tokens: int = 4096
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from arenapref.weights.gguf import resolve_checkpoint

        path = resolve_checkpoint(model_path)
        self.model = str(model_path)
        self.max_new_tokens, self.device, self.max_input_tokens = max_new_tokens, device, max_input_tokens
        self._tokenizer = AutoTokenizer.from_pretrained(path)
        self._lm = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        self._lm.to(device)  # type: ignore[arg-type]  # transformers types .to oddly
        self._lm.eval()
        self._letters = [self._letter_id(letter) for letter in LETTERS]
        self._lock = threading.Lock()
        self.truncated_inputs = 0

    def _letter_id(self, letter: str) -> int:
        ids = self._tokenizer.encode(VERDICT_PREFIX + letter, add_special_tokens=False)
        prefix = self._tokenizer.encode(VERDICT_PREFIX, add_special_tokens=False)
        if ids[: len(prefix)] != prefix or len(ids) != len(prefix) + 1:
            shown = VERDICT_PREFIX + letter
            raise ValueError(f"{self.model}: the tokenizer does not split {shown!r} into prefix and letter")
        return int(ids[-1])

    def settings(self) -> dict[str, Any]:
        return {"max_new_tokens": self.max_new_tokens, "verdict_prefix": VERDICT_PREFIX, "decoding": "greedy"}

    def complete(self, messages: Messages) -> Completion:
        import torch

        with self._lock, torch.inference_mode():
            text = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            ids = self._tokenizer.encode(text, add_special_tokens=False)
            if len(ids) > self.max_input_tokens:  # keep the end: the instructions' verdict format comes last
                ids = ids[-self.max_input_tokens :]
                self.truncated_inputs += 1
            prompt = torch.tensor([ids], device=self.device)
            generated = ""
            if self.max_new_tokens > 0:
                out = self._lm.generate(
                    prompt,
                    attention_mask=torch.ones_like(prompt),
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
                )
                generated = str(self._tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True))
            explanation = generated.rsplit(VERDICT_PREFIX, 1)[0] if VERDICT_PREFIX in generated else generated
            forced = explanation.rstrip() + ("\n" if explanation.strip() else "") + VERDICT_PREFIX
            tail = self._tokenizer.encode(forced, add_special_tokens=False)
            logits = self._lm(torch.tensor([ids + tail], device=self.device)).logits[0, -1]
            proba = torch.softmax(logits[self._letters].float(), dim=0).tolist()
        return Completion(generated, (proba[0], proba[1], proba[2]))

    def close(self) -> None:
        """Nothing to release (the model goes with the object)."""
