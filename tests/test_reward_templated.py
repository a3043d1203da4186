"""Chat-templated text back to the prompt's messages and the response (reward/templated.py's rule), for each
common template, with padding and the end tokens around it."""

from __future__ import annotations

import pytest

from arenapref.reward.templated import clean_response, prompt_messages, response_of, split_query

DIALOGUE = [("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello!"), ("user", "How are you?")]
TEMPLATES = {
    "chatml": (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!"
        "<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n",
        "<|im_end|>",
    ),
    "llama3": (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user"
        "<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|><|start_header_id|>assistant"
        "<|end_header_id|>\n\n",
        "<|eot_id|>",
    ),
    "gemma": (
        "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\n"
        "How are you?<end_of_turn>\n<start_of_turn>model\n",
        "<end_of_turn>",
    ),
    "phi3": (
        "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nHow are you?"
        "<|end|>\n<|assistant|>\n",
        "<|end|>",
    ),
    "mistral": (
        "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello!</s><s>[INST] How are you? [/INST]",
        "</s>",
    ),
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_template_gives_the_dialogue_and_the_response(name: str) -> None:
    prompt, end = TEMPLATES[name]
    expected = [m for m in DIALOGUE if name != "gemma" or m[0] != "system"]  # Gemma has no system turn
    assert prompt_messages(prompt) == expected
    for left, right in (("", ""), ("<pad><pad>", "<pad>"), (end * 2, end * 3)):
        query = left + prompt + " Fine, thanks." + end + right
        assert split_query(query, prompt) == (expected, "Fine, thanks.")
        assert response_of(query, None) == "Fine, thanks."  # without the prompt: after the last assistant header


def test_the_response_stops_at_the_first_end_token() -> None:
    assert clean_response("Yes.<|im_end|><|im_start|>user\nMore?<|im_end|>") == "Yes."
    assert clean_response("Sure</s>[INST] again") == "Sure"
    assert clean_response("<|im_start|>assistant\nHi there<|endoftext|>") == "Hi there"
    assert clean_response("no special tokens at all ") == "no special tokens at all"


def test_a_prompt_that_differs_from_the_query_is_matched_without_special_tokens() -> None:
    prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    query = "<s>" + prompt.replace("<|im_end|>", "") + "Hello!<|im_end|>"  # a decode that lost a token
    assert response_of(query, prompt) == "Hello!"


def test_plain_text_without_a_template() -> None:
    assert split_query("User: 2+2?\nAssistant: 4", "User: 2+2?\nAssistant:") == (
        [("user", "User: 2+2?\nAssistant:")],
        "4",
    )
    assert prompt_messages("<s>just text</s>") == [("user", "just text")]
    assert prompt_messages("") == [("user", "")]
