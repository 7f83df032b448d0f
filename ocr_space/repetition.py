"""A repetition guard for generation: DeepSeek-OCR models are known to loop.

transformers' ``no_repeat_ngram_size`` rescans the whole sequence every step,
prompt included (~1000 identical image tokens for a tiled page), and forbids
any repeat anywhere, which also bans legitimate repeats in long documents.
Unsloth and vLLM use a windowed rule instead: ban a token only when it would
complete an n-gram already seen among the last ``window`` generated tokens.
We do the same, over generated tokens only.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor


class WindowedNGramGuard(LogitsProcessor):
    """Forbid completing any ``ngram_size``-gram already present in the last ``window`` generated tokens."""

    def __init__(self, prompt_length: int, ngram_size: int = 30, window: int = 90):
        if ngram_size < 2:
            raise ValueError("ngram_size must be >= 2")
        self.prompt_length = prompt_length
        self.ngram_size = ngram_size
        self.window = window

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        generated = input_ids[:, self.prompt_length:]
        prefix_len = self.ngram_size - 1
        if generated.shape[1] < prefix_len:
            return scores
        # on the device, without reading tokens back: a host sync per token would stall a replayed decode step
        recent = generated[:, -self.window:]
        if recent.shape[1] <= prefix_len:
            return scores
        prefix = recent[:, -prefix_len:]
        windows = recent.unfold(1, prefix_len, 1)[:, :-1]  # (batch, positions, prefix_len), each followed by a token
        matches = (windows == prefix[:, None, :]).all(dim=-1)
        following = recent[:, prefix_len:]
        ban = torch.where(matches, float("-inf"), float("inf")).to(scores.dtype)  # torch.where: no sync
        # min over duplicates: a token is banned when any earlier occurrence of the prefix is followed by it
        return scores.scatter_reduce(1, following, ban, reduce="amin", include_self=True)
