"""Turn (image, text) rows into model inputs whose loss covers only the answer.

The model must learn to *answer* the OCR prompt, not to predict the prompt,
the image placeholder tokens or padding, so every label is -100 except the
answer tokens and the end-of-sequence token that teaches it to stop.

Each sample is built as ``processor(image, prompt)`` followed by the answer's
own tokens and EOS. Tokenising the answer on its own makes the answer span
exact by construction (a joint ``prompt + answer`` tokenisation can merge
tokens across the boundary, e.g. BPE joining "." with the first answer
characters, so the span would have to be guessed), and it is exactly the
token sequence the model sees at inference, where the prompt is tokenised
alone and the answer is generated after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ocr_space.errors import ConfigError
from ocr_space.images import load_image
from ocr_space.models.family import ModelFamily

log = logging.getLogger(__name__)

IGNORE_INDEX = -100  # what transformers' causal-LM loss skips


@dataclass
class OcrCollator:
    """Collator for processors that expand ``<image>`` in the prompt and return per-image vision tensors.

    Vision tensors of each sample (``pixel_values``, and for tiled modes
    ``pixel_values_local`` and ``num_local_patches``) carry a leading per-image
    or per-tile dimension, so a batch concatenates them along dim 0.

    >>> collate = collator_for(loaded.family, loaded.processor, mode="small")  # doctest: +SKIP
    >>> batch = collate([{"image": img, "text": "你好"}])  # doctest: +SKIP
    """

    processor: Any
    prompt: str
    processor_kwargs: dict = field(default_factory=dict)
    max_length: int = 2048
    #: compute logits only from the position before the first answer token on (``logits_to_keep``), with
    #: labels cut to the same window: a text line supervises ~20 of ~175 positions, and the vocabulary
    #: projection of the other ~155 (129,280 logits each, kept for the backward) is pure waste
    answer_logits_only: bool = False
    truncated: int = 0

    def encode(self, image, text: str) -> dict:
        """One sample: input ids, labels (-100 except answer + EOS) and its vision tensors."""
        tokenizer = self.processor.tokenizer
        prompt_inputs = self.processor(images=load_image(image), text=self.prompt, return_tensors="pt",
                                       **self.processor_kwargs)
        prompt_ids = prompt_inputs["input_ids"][0].tolist()
        answer_ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        room = self.max_length - len(prompt_ids)
        if room < 1:
            raise ConfigError(f"max_length={self.max_length} is too small: the prompt and image alone take "
                              f"{len(prompt_ids)} tokens; raise max_length or use a smaller resolution mode.")
        if len(answer_ids) > room:
            # A cut answer must not teach the model to stop early: the EOS goes with the cut.
            answer_ids = answer_ids[:room]
            self.truncated += 1
            log.warning("a %d-character answer was cut to %d tokens to fit max_length=%d", len(text), room,
                        self.max_length)
        vision = {key: value for key, value in prompt_inputs.items() if key not in ("input_ids", "attention_mask")}
        return {
            "input_ids": prompt_ids + answer_ids,
            "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids,
            "vision": vision,
        }

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        samples = [self.encode(row["image"], row["text"]) for row in rows]
        pad_id = self.processor.tokenizer.pad_token_id
        length = max(len(sample["input_ids"]) for sample in samples)
        input_ids = torch.full((len(samples), length), pad_id, dtype=torch.long)
        labels = torch.full((len(samples), length), IGNORE_INDEX, dtype=torch.long)
        attention_mask = torch.zeros((len(samples), length), dtype=torch.long)
        for row, sample in enumerate(samples):
            size = len(sample["input_ids"])
            # right padding: training needs no generation room, and positions stay those of inference
            input_ids[row, :size] = torch.tensor(sample["input_ids"])
            labels[row, :size] = torch.tensor(sample["labels"])
            attention_mask[row, :size] = 1
        batch = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
        if self.answer_logits_only:
            batch.update(answer_window(labels))
        # an untiled image has no local tiles at all, so a key may be missing from some samples
        keys = dict.fromkeys(key for sample in samples for key in sample["vision"])
        for key in keys:
            values = [sample["vision"][key] for sample in samples if key in sample["vision"]]
            # per-image lists (v1's num_local_patches, patches_grid) join as lists, tensors along the batch
            batch[key] = sum(values, []) if isinstance(values[0], list) else torch.cat(values, dim=0)
        return batch


def answer_window(labels: torch.Tensor) -> dict:
    """``labels`` and ``logits_to_keep`` for the last positions that matter to the loss.

    The causal-LM loss pairs the logit at position i with the label at i + 1,
    so the window starts one position before the earliest answer token of the
    batch; with right padding every row's answer lies inside it.
    """
    supervised = (labels != IGNORE_INDEX).any(dim=0).nonzero()
    if supervised.numel() == 0:
        return {}
    keep = labels.shape[1] - max(int(supervised[0]) - 1, 0)
    return {"labels": labels[:, -keep:].contiguous(), "logits_to_keep": keep}


#: family name -> collator class; a family whose processor batches differently registers its own here
COLLATORS: dict[str, Callable[..., OcrCollator]] = {"deepseek-ocr-2": OcrCollator}


def collator_for(family: ModelFamily, processor, mode: str | None = None, max_length: int = 2048,
                 answer_logits_only: bool = False) -> OcrCollator:
    """The family's collator with its OCR prompt and the resolution mode's processor settings.

    ``mode=None`` means the family's training mode (``small`` for DeepSeek-OCR-2:
    one 768-px view, no tiles, which suits text lines). ``answer_logits_only``:
    see :attr:`OcrCollator.answer_logits_only` (the same loss, less memory).
    """
    mode_name = mode or family.training_mode or family.default_mode
    collator_class = COLLATORS.get(family.name, OcrCollator)
    return collator_class(processor=processor, prompt=family.ocr_prompt,
                          processor_kwargs=family.mode(mode_name).processor_kwargs(processor), max_length=max_length,
                          answer_logits_only=answer_logits_only)
